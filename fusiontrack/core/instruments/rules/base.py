"""What a scoring rule is, and the small helpers every rule shares.

A rule scores one response (pure Python, for forms: microseconds) and a batch (numpy arrays, no
per-row Python). Both get the answers already validated: floats, None/NaN when unanswered. Rules
must do the same float operations in the same order in both paths, so results are identical.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from fusiontrack.core.errors import DefinitionError
from fusiontrack.core.instruments.answers import BoolArray, FloatArray, ObjectArray
from fusiontrack.core.instruments.schema import Item, ScoreDef

Values = Sequence[float | None]
Options = Mapping[str, object]


@dataclass(frozen=True)
class Part:
    """Items that are scored together. Parts of one instrument are scored independently
    (e.g. each PROMIS-29 domain, or back and leg NRS), so one unanswered part does not
    discard the others."""

    id: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class OneOutcome:
    scores: dict[str, float]
    messages: list[tuple[str, str]]  # (part id, why that part has no score)


@dataclass(frozen=True)
class RowMessages:
    """A message for some rows of a batch: `text` is one string, or one per masked row."""

    part: str | None
    mask: BoolArray
    text: str | ObjectArray


@dataclass(frozen=True)
class ManyOutcome:
    scores: dict[str, FloatArray]
    messages: list[RowMessages]


class ScoringRule(Protocol):
    parts: tuple[Part, ...]

    def prepare_options(self, options: dict[str, object]) -> dict[str, object]:
        """Check rule-specific options once per call (e.g. that a value set exists)."""
        ...

    def score_one(self, values: Values, options: Options) -> OneOutcome: ...

    def score_many(self, columns: Sequence[FloatArray], options: Options) -> ManyOutcome: ...


@dataclass(frozen=True)
class RuleContext:
    """What a rule factory gets: the parsed definition, and a way to fail with file and field."""

    instrument_id: str
    where: str
    items: tuple[Item, ...]
    scores: Mapping[str, ScoreDef]
    params: Mapping[str, object]

    def fail(self, key: str, problem: str) -> DefinitionError:
        return DefinitionError(f"{self.where}.{key}: {problem}")

    def param(self, key: str) -> object:
        if key not in self.params:
            raise self.fail(key, "is required")
        return self.params[key]

    def item_index(self, key: str, item_id: object) -> int:
        for i, item in enumerate(self.items):
            if item.id == item_id:
                return i
        raise self.fail(key, f"names unknown item {item_id!r}")

    def item_indexes(self, key: str, count: int | None = None) -> tuple[int, ...]:
        ids = self.param(key)
        if not isinstance(ids, list) or (count is not None and len(ids) != count):
            raise self.fail(key, f"must be a list of {count or 'some'} item ids")
        return tuple(self.item_index(key, item_id) for item_id in ids)

    def require_scores(self, ids: Sequence[str]) -> None:
        """The definition must declare exactly the scores this rule produces."""
        if sorted(ids) != sorted(self.scores):
            raise DefinitionError(
                f"{self.where}: the {self.instrument_id} rule produces {', '.join(ids)}; "
                f"the definition declares {', '.join(self.scores)}"
            )

    def check_params(self, known: Sequence[str]) -> None:
        unknown = sorted(set(self.params) - set(known))
        if unknown:
            raise DefinitionError(f"{self.where}: unknown parameter(s) {', '.join(unknown)}")


# -- helpers ------------------------------------------------------------------------------------


def round_one(value: float, decimals: int | None) -> float:
    """Round half to even at `decimals`, exactly as `round_many` does (same float operations)."""
    if decimals is None:
        return value
    factor = 10.0**decimals
    return round(value * factor) / factor


def round_many(values: FloatArray, decimals: int | None) -> FloatArray:
    if decimals is None:
        return values
    factor = 10.0**decimals
    return np.asarray(np.rint(values * factor) / factor, dtype=np.float64)


def words(names: Sequence[str]) -> str:
    """'7', '7 and 8', '2, 7 and 8'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def missing_matrix(columns: Sequence[FloatArray], indexes: Sequence[int]) -> list[BoolArray]:
    return [np.isnan(columns[i]) for i in indexes]


def pattern_messages(
    missing: Sequence[BoolArray], rows: BoolArray, build: Callable[[tuple[int, ...]], str]
) -> ObjectArray:
    """One message per masked row, built once per distinct pattern of missing items.

    `build` gets the positions (within `missing`) of the items missing in that pattern.
    """
    picked = np.flatnonzero(rows)
    bits = np.zeros(picked.size, dtype=np.int64)
    for position, column in enumerate(missing):
        bits |= column[picked].astype(np.int64) << position
    patterns, inverse = np.unique(bits, return_inverse=True)
    texts = np.array(
        [
            build(tuple(p for p in range(len(missing)) if int(pattern) >> p & 1))
            for pattern in patterns
        ],
        dtype=object,
    )
    return np.asarray(texts[inverse.reshape(-1)], dtype=object)
