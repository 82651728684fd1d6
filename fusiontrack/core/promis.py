"""PROMIS-29 v2.x raw-sum → T-score (and SE) conversion for the seven four-item domains.

The tables are data, vendored under `core/data/promis/` with their provenance: three public
sources agree on them ("Table A", shared/notes/instruments.md §4.2 [SRC]); one disagrees for
physical function and is not used (see PROVENANCE.md). The HealthMeasures scoring manual is the
authority. A raw sum exists only when all four items of a domain are answered: the instrument
layer enforces it.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from fusiontrack.core.errors import DefinitionError, ScoringError

TABLE_FILE = Path(__file__).resolve().parent / "data" / "promis" / "promis29_v2_tscores.csv"
TABLE_VERSION = "PROMIS-29 v2 four-item short forms, Table A (camrprojects = jdc-utilities)"
RAW_MIN = 4
RAW_MAX = 20

# Domain names as written in the source tables.
DOMAINS: tuple[str, ...] = (
    "physical_function",
    "anxiety",
    "depression",
    "fatigue",
    "sleep_disturbance",
    "ability_to_participate",
    "pain_interference",
)

_N = RAW_MAX - RAW_MIN + 1


@dataclass(frozen=True)
class TScoreTable:
    """One domain's conversion: T-score and standard error for every raw sum 4–20."""

    domain: str
    t_scores: tuple[float, ...]
    standard_errors: tuple[float, ...]
    # Padded with NaN at index 17 so a missing raw sum maps to NaN without masking.
    _t: NDArray[np.float64] = field(repr=False, compare=False)
    _se: NDArray[np.float64] = field(repr=False, compare=False)

    def lookup(self, raw_sum: int) -> tuple[float, float]:
        """(T-score, SE) for one raw sum."""
        if not RAW_MIN <= raw_sum <= RAW_MAX:
            raise ScoringError(
                f"PROMIS {self.domain} raw sum {raw_sum} is outside {RAW_MIN}–{RAW_MAX}; "
                "each of the four items must be scored 1–5.",
                item=self.domain,
                value=raw_sum,
                allowed=f"{RAW_MIN}–{RAW_MAX}",
            )
        return self.t_scores[raw_sum - RAW_MIN], self.standard_errors[raw_sum - RAW_MIN]

    def lookup_many(
        self, raw_sums: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Vectorised lookup; NaN raw sums give NaN T-scores and SEs."""
        missing = np.isnan(raw_sums)
        present = raw_sums[~missing]
        if present.size and (present.min() < RAW_MIN or present.max() > RAW_MAX):
            raise ScoringError(
                f"PROMIS {self.domain} raw sums must lie in {RAW_MIN}–{RAW_MAX}.",
                item=self.domain,
                allowed=f"{RAW_MIN}–{RAW_MAX}",
            )
        index = np.where(missing, _N, np.nan_to_num(raw_sums) - RAW_MIN).astype(np.intp)
        return self._t[index], self._se[index]


def _load(path: Path) -> dict[str, TScoreTable]:
    rows: dict[str, dict[int, tuple[float, float]]] = {d: {} for d in DOMAINS}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for line_no, row in enumerate(csv.DictReader(handle), start=2):
                domain = row["domain"]
                if domain not in rows:
                    raise DefinitionError(f"{path.name} line {line_no}: unknown domain {domain!r}")
                rows[domain][int(row["raw_score"])] = (float(row["t_score"]), float(row["se"]))
    except (OSError, KeyError, ValueError) as exc:
        raise DefinitionError(f"{path}: cannot read the PROMIS T-score table ({exc})") from exc
    tables: dict[str, TScoreTable] = {}
    for domain, by_raw in rows.items():
        if sorted(by_raw) != list(range(RAW_MIN, RAW_MAX + 1)):
            raise DefinitionError(f"{path.name}: {domain} must have one row per raw sum 4–20")
        t = tuple(by_raw[r][0] for r in range(RAW_MIN, RAW_MAX + 1))
        se = tuple(by_raw[r][1] for r in range(RAW_MIN, RAW_MAX + 1))
        tables[domain] = TScoreTable(
            domain=domain,
            t_scores=t,
            standard_errors=se,
            _t=np.array((*t, np.nan), dtype=np.float64),
            _se=np.array((*se, np.nan), dtype=np.float64),
        )
    return tables


TABLES: Mapping[str, TScoreTable] = MappingProxyType(_load(TABLE_FILE))


def t_score(domain: str, raw_sum: int) -> tuple[float, float]:
    """(T-score, SE) for a PROMIS-29 domain raw sum (4–20)."""
    try:
        table = TABLES[domain]
    except KeyError:
        raise ScoringError(
            f"Unknown PROMIS-29 domain {domain!r}; known: {', '.join(DOMAINS)}.",
            item=domain,
            allowed=", ".join(DOMAINS),
        ) from None
    return table.lookup(raw_sum)
