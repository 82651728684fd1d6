"""Score one response (forms, API) or a whole table (CLI, imports) with identical results.

`score` is pure Python for speed on a single response; `score_batch` is numpy over columns. Both
validate answers with the same rules (answers.py) and call the same scoring rule, whose two paths
perform the same float operations, so a batch row equals the single score exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.core.errors import ScoringError
from fusiontrack.core.instruments.answers import BoolArray, FloatArray, ObjectArray, coerce_column
from fusiontrack.core.instruments.registry import get_instrument
from fusiontrack.core.instruments.rules.base import RowMessages
from fusiontrack.core.instruments.schema import Instrument, ScoreDef, ScoreValue

ScoreColumn = pd.api.extensions.ExtensionArray | NDArray[Any]


@dataclass(frozen=True)
class ScoreResult:
    """One scored response.

    `scores` holds every score that could be computed (a part of the instrument that could not be
    scored is absent, and `reason` says why); for single-part instruments such as the ODI it is
    empty when the response is incomplete. `complete` is True when every part was scored.
    """

    instrument_id: str
    version: str
    scores: dict[str, ScoreValue | None]
    complete: bool
    reason: str | None
    answered: int


_DEFAULT_OPTIONS: dict[str, dict[str, object]] = {}


def resolve_options(instrument: Instrument, options: Mapping[str, object]) -> dict[str, object]:
    """Defaults filled in, values checked: a bad option is a ScoringError naming what is allowed."""
    if not options:
        cached = _DEFAULT_OPTIONS.get(instrument.id)
        if cached is not None:
            return cached
    unknown = sorted(set(options) - set(instrument.options))
    if unknown:
        known = ", ".join(instrument.options) or "none"
        raise ScoringError(
            f"{instrument.short_title} has no option {', '.join(unknown)}; its options: {known}.",
            item=unknown[0],
            allowed=known,
        )
    resolved: dict[str, object] = {}
    for name, spec in instrument.options.items():
        value = options.get(name, spec.default)
        if spec.type == "integer" and value is not None:
            low = spec.minimum if spec.minimum is not None else -(2**63)
            high = spec.maximum if spec.maximum is not None else 2**63
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                allowed = f"a whole number from {low} to {high}"
                raise ScoringError(
                    f"{instrument.short_title} option {name} (setting {spec.setting}) "
                    f"cannot be {value!r}; allowed: {allowed}.",
                    item=name,
                    value=value,
                    allowed=allowed,
                )
        if spec.type == "string" and value is not None and not isinstance(value, str):
            raise ScoringError(
                f"{instrument.short_title} option {name} (setting {spec.setting}) must be text, "
                f"not {value!r}.",
                item=name,
                value=value,
                allowed="text",
            )
        resolved[name] = value
    resolved = instrument.rule.prepare_options(resolved)
    if not options:
        _DEFAULT_OPTIONS[instrument.id] = resolved
    return resolved


def score(instrument_id: str, answers: Mapping[str, object], **options: object) -> ScoreResult:
    """Score one response. Raises ScoringError for an answer the instrument does not allow.

    `answers` maps item ids to raw answers; blank, None and NaN mean unanswered; other keys are
    ignored. Options: `max_missing` (odi), `value_set` (eq5d5l).
    """
    instrument = get_instrument(instrument_id)
    resolved = resolve_options(instrument, options)
    get = getattr(answers, "get", None)
    if get is None:
        raise ScoringError(
            f"Answers must map item ids to answers (e.g. {{'{instrument.items[0].id}': 2}}), "
            f"not {type(answers).__name__}."
        )
    values = [item.check.coerce(get(item.id)) for item in instrument.items]
    outcome = instrument.rule.score_one(values, resolved)
    produced = outcome.scores
    scores: dict[str, ScoreValue | None] = {
        definition.id: definition.convert(produced[definition.id])
        for definition in instrument.scores
        if definition.id in produced
    }
    return ScoreResult(
        instrument_id=instrument.id,
        version=instrument.version,
        scores=scores,
        complete=not outcome.messages,
        reason=join_sentences([text for _, text in outcome.messages]) or None,
        answered=sum(value is not None for value in values),
    )


# -- batch --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """Scores and messages of one instrument over a table, before they become columns.

    `answered_any(part)` marks rows where at least one item of that part has an answer (valid or
    not): `score_table` uses it to stay silent about instruments a row never attempted.
    """

    instrument: Instrument
    scores: dict[str, FloatArray]
    messages: list[RowMessages]
    columns: list[FloatArray]
    bad: BoolArray

    def answered_any(self, part_id: str) -> BoolArray:
        part = next(p for p in self.instrument.rule.parts if p.id == part_id)
        seen = self.bad.copy()
        for index in part.items:
            seen |= ~np.isnan(self.columns[index])
        return seen

    def score_columns(self) -> dict[str, ScoreColumn]:
        return {d.id: _as_column(d, self.scores[d.id]) for d in self.instrument.scores}

    def errors(self, keep: Callable[[RowMessages], BoolArray] | None = None) -> ObjectArray:
        return join_messages(len(self.bad), self.messages, keep)


def _as_column(definition: ScoreDef, values: FloatArray) -> ScoreColumn:
    if definition.type == "number":
        return values
    missing = np.isnan(values)
    if definition.type == "category":
        codes = np.where(missing, -1, np.nan_to_num(values)).astype(np.int16)
        categories = [str(option.value) for option in definition.categories]
        return pd.Categorical.from_codes(codes, categories=pd.Index(categories))
    return pd.arrays.IntegerArray(np.nan_to_num(values).astype(np.int64), missing)


def join_sentences(texts: list[str]) -> str:
    """Messages are sentences; several become one: 'A was not answered; B is missing; ...'."""
    return (
        "; ".join(text.removesuffix(".") for text in texts[:-1])
        + ("; " if len(texts) > 1 else "")
        + (texts[-1] if texts else "")
    )


_drop_period = np.frompyfunc(lambda text: text.removesuffix("."), 1, 1)


def join_messages(
    n: int,
    messages: list[RowMessages],
    keep: Callable[[RowMessages], BoolArray] | None = None,
) -> ObjectArray:
    """One string per row, its messages joined as `join_sentences` does; '' when none."""
    errors = np.full(n, "", dtype=object)
    has = np.zeros(n, dtype=np.bool_)
    for message in messages:
        mask = message.mask if keep is None else keep(message)
        rows = np.flatnonzero(mask)
        if not rows.size:
            continue
        text: str | ObjectArray = message.text
        if not isinstance(text, str) and mask is not message.mask:
            text = text[mask[message.mask]]  # keep only the texts of rows still selected
        before = has[rows]
        if before.any():
            joined, fresh = rows[before], rows[~before]
            errors[joined] = (
                _drop_period(errors[joined])
                + "; "
                + (text if isinstance(text, str) else text[before])
            )
            errors[fresh] = text if isinstance(text, str) else text[~before]
        else:
            errors[rows] = text
        has[rows] = True
    return errors


def evaluate_batch(
    instrument: Instrument, frame: pd.DataFrame, options: Mapping[str, object]
) -> BatchResult:
    """Validate every item column and run the rule's vectorised path (options already resolved)."""
    n = len(frame)
    columns: list[FloatArray] = []
    bad = np.zeros(n, dtype=np.bool_)
    messages: list[RowMessages] = []
    for item in instrument.items:
        series = frame[item.id] if item.id in frame.columns else None
        if isinstance(series, pd.DataFrame):
            raise ScoringError(
                f"Column {item.id} appears more than once; keep one and score again.",
                item=item.id,
            )
        column = coerce_column(item.check, series, n)
        columns.append(column.values)
        if column.bad_text.size:
            messages.append(RowMessages(None, column.bad, column.bad_text))
            bad |= column.bad
    outcome = instrument.rule.score_many(columns, options)
    any_bad = bool(bad.any())
    if any_bad:
        for values in outcome.scores.values():
            values[bad] = np.nan
    for message in outcome.messages:
        if any_bad:
            mask = message.mask & ~bad
            text = message.text
            if not isinstance(text, str):
                text = text[mask[message.mask]]
            message = RowMessages(message.part, mask, text)
        messages.append(message)
    return BatchResult(instrument, outcome.scores, messages, columns, bad)


def score_batch(instrument_id: str, frame: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Score every row of `frame` (columns named by item id; absent columns count as blank).

    Returns a frame with the same index: one column per score (NaN/NA when not computed) and
    `errors` ('' when the row is fine, else why: bad answers, or what is missing). A bad row never
    stops the batch; a bad option does (ScoringError).
    """
    instrument = get_instrument(instrument_id)
    resolved = resolve_options(instrument, options)
    result = evaluate_batch(instrument, frame, resolved)
    data: dict[str, object] = dict(result.score_columns())
    data["errors"] = result.errors()
    return pd.DataFrame(data, index=frame.index)
