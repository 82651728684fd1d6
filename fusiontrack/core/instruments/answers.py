"""Validation of one answer, and of a whole column of answers, against an item's allowed values.

Both paths share one rule set so that single-response and batch scoring accept exactly the same
answers and word their errors identically. Blank, None and NaN mean "not answered".
"""

from __future__ import annotations

import itertools
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.core.errors import ScoringError

#: A written number as people and spreadsheets write it: ASCII digits, optional sign, decimal
#: point and exponent. Python's float() also takes "1_0" (= 10), "infinity" and non-ASCII digits
#: such as "٣"; those are typing slips or not numbers an answer sheet holds, so they are refused.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ObjectArray = NDArray[np.object_]


def format_value(raw: object) -> str:
    """How a rejected answer is quoted in messages: numbers plainly, text in quotes."""
    if isinstance(raw, bool | np.bool_):
        return str(bool(raw))
    if isinstance(raw, numbers.Real | Decimal):
        value = float(raw)
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = repr(raw.strip() if isinstance(raw, str) else raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


@dataclass(frozen=True)
class AnswerCheck:
    """What an item accepts: a numeric progression or range, a set of numbers, or a set of codes.

    `coerce` turns one raw answer into a float (for coded items: the option's index) or None when
    unanswered, raising ScoringError otherwise. `accepts_array` is the vectorised equivalent for
    numbers that are already floats.
    """

    item_id: str
    item_label: str
    allowed: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    number_set: frozenset[float] | None = None
    codes: tuple[str, ...] | None = None

    @classmethod
    def for_numbers(cls, item_id: str, label: str, values: Sequence[float]) -> AnswerCheck:
        """An item whose options are numbers; a regular progression is checked arithmetically."""
        ordered = sorted(values)
        steps = {b - a for a, b in itertools.pairwise(ordered)}
        if len(ordered) >= 2 and len(steps) == 1:
            step = steps.pop()
            if step == 1 and ordered[0].is_integer():
                allowed = (
                    f"a whole number from {_number_text(ordered[0])} to {_number_text(ordered[-1])}"
                )
            else:
                allowed = "one of " + ", ".join(_number_text(v) for v in ordered)
            return cls(item_id, label, allowed, ordered[0], ordered[-1], step)
        allowed = "one of " + ", ".join(_number_text(v) for v in ordered)
        return cls(item_id, label, allowed, number_set=frozenset(ordered))

    @classmethod
    def for_range(
        cls, item_id: str, label: str, minimum: float, maximum: float, step: float | None
    ) -> AnswerCheck:
        low, high = _number_text(minimum), _number_text(maximum)
        if step == 1 and minimum.is_integer():
            allowed = f"a whole number from {low} to {high}"
        elif step is None:
            allowed = f"a number from {low} to {high}"
        else:
            allowed = f"a number from {low} to {high} in steps of {_number_text(step)}"
        return cls(item_id, label, allowed, minimum, maximum, step)

    @classmethod
    def for_codes(cls, item_id: str, label: str, codes: Sequence[str]) -> AnswerCheck:
        return cls(item_id, label, "one of " + ", ".join(codes), codes=tuple(codes))

    # -- single answers -------------------------------------------------------------------------

    def error(self, raw: object, problem: str) -> ScoringError:
        return ScoringError(
            f"{self.item_label} ({self.item_id}): {format_value(raw)} {problem}; allowed: "
            f"{self.allowed}. Correct the answer, or leave it blank if it was not answered.",
            item=self.item_id,
            value=raw,
            allowed=self.allowed,
        )

    def accepts(self, value: float) -> bool:
        if self.number_set is not None:
            return value in self.number_set
        assert self.minimum is not None and self.maximum is not None
        if not self.minimum <= value <= self.maximum:
            return False
        return self.step is None or ((value - self.minimum) / self.step).is_integer()

    def coerce(self, raw: object) -> float | None:
        """The answer as a float (a coded answer as its option index), or None when unanswered."""
        if raw is None or raw is pd.NA or raw is pd.NaT:
            return None
        if self.codes is not None:
            return self._coerce_code(raw)
        kind = type(raw)
        if kind is int or kind is float:
            value = float(raw)  # type: ignore[arg-type]
        elif isinstance(raw, bool | np.bool_):
            raise self.error(raw, "is not a number")
        elif isinstance(raw, str):
            text = raw.strip()
            if not text:
                return None
            if not _PLAIN_NUMBER.fullmatch(text):
                if text.lower() == "nan":  # how pandas and numpy write a blank cell
                    return None
                raise self.error(raw, "is not a number")
            value = float(text)
        elif isinstance(raw, numbers.Real | Decimal):
            value = float(raw)
        else:
            raise self.error(raw, "is not a number")
        if value != value:  # NaN: unanswered
            return None
        if not self.accepts(value):
            raise self.error(raw, "is not an allowed answer")
        return value

    def _coerce_code(self, raw: object) -> float | None:
        assert self.codes is not None
        if isinstance(raw, float) and raw != raw:
            return None
        if isinstance(raw, str):
            text = raw.strip()
            if not text:
                return None
            if text in self.codes:
                return float(self.codes.index(text))
        raise self.error(raw, "is not an allowed answer")

    # -- columns --------------------------------------------------------------------------------

    def accepts_array(self, values: FloatArray) -> BoolArray:
        """Vectorised `accepts` for floats (same arithmetic, so the same verdicts); NaN → False."""
        if self.number_set is not None:
            return np.isin(values, np.fromiter(self.number_set, dtype=np.float64))
        assert self.minimum is not None and self.maximum is not None
        with np.errstate(invalid="ignore"):
            ok = (values >= self.minimum) & (values <= self.maximum)
            if self.step is not None:
                steps = self._steps(values)
                ok &= np.rint(steps) == steps  # rint(x) == x  <=>  float(x).is_integer()
        return np.asarray(ok, dtype=np.bool_)

    def all_accepted(self, values: FloatArray, missing: BoolArray) -> bool:
        """True when every non-missing value is accepted; a few fast reductions, no masks.

        The common case (a clean column) then costs little more than reading it once.
        """
        if self.number_set is not None or values.size == 0:
            return bool(self.accepts_array(values)[~missing].all())
        assert self.minimum is not None and self.maximum is not None
        low, high = np.fmin.reduce(values), np.fmax.reduce(values)  # NaN ignored
        if not (low >= self.minimum and high <= self.maximum):  # all-NaN gives NaN: False
            return bool(missing.all())
        if self.step is None:
            return True
        steps = self._steps(values)
        # NaN != NaN, so non-integral values are exactly the mismatches beyond the missing ones
        return int(np.count_nonzero(np.rint(steps) != steps)) == int(np.count_nonzero(missing))

    def _steps(self, values: FloatArray) -> FloatArray:
        assert self.minimum is not None and self.step is not None
        if self.minimum == 0 and self.step == 1:
            return values
        return np.asarray((values - self.minimum) / self.step, dtype=np.float64)


@dataclass(frozen=True)
class Column:
    """One item's answers for a batch: floats with NaN where unanswered or rejected."""

    values: FloatArray
    bad: BoolArray
    bad_text: ObjectArray  # one message per bad row, in row order


def _empty_text() -> ObjectArray:
    return np.empty(0, dtype=object)


def coerce_column(check: AnswerCheck, series: pd.Series | None, n: int) -> Column:
    """Validate a column of answers without a Python loop over rows.

    Clean numeric columns are checked with array arithmetic; anything else (text, mixed types) is
    factorised and each distinct raw value goes through `coerce`, the single-answer function.
    """
    if series is None:
        return Column(np.full(n, np.nan), np.zeros(n, dtype=np.bool_), _empty_text())
    if check.codes is None and series.dtype.kind in "iuf":
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(values)
        if check.all_accepted(values, missing):
            return Column(values, np.zeros(n, dtype=np.bool_), _empty_text())
        bad = ~missing & ~check.accepts_array(values)
        values = np.where(bad, np.nan, values)
        return Column(values, bad, _messages_for(check, series.to_numpy()[bad]))
    return _coerce_by_distinct_value(check, series, n)


def _messages_for(check: AnswerCheck, raws: NDArray[np.generic]) -> ObjectArray:
    codes, uniques = pd.factorize(pd.Series(raws, dtype=object), use_na_sentinel=False)
    texts = np.array([_rejection(check, raw) for raw in uniques], dtype=object)
    return np.asarray(texts[codes], dtype=object)


def _is_zero_or_one(value: object) -> bool:
    try:
        return not isinstance(value, str) and bool(value == 0 or value == 1)
    except (TypeError, ValueError):
        return False


def _coerce_by_distinct_value(check: AnswerCheck, series: pd.Series, n: int) -> Column:
    raw = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    # pandas hashes True like 1 and 1.0 (Python equality), so a column mixing booleans with 0/1
    # would share one verdict. Booleans are never valid answers: split them out first.
    if any(_is_zero_or_one(u) for u in uniques):
        is_bool = np.fromiter((isinstance(v, bool | np.bool_) for v in raw), np.bool_, n)
        if is_bool.any():
            return _with_booleans_rejected(check, raw, is_bool, n)
    size = len(uniques)
    by_value = np.full(size + 1, np.nan)  # last slot: pandas' missing sentinel (-1)
    is_bad = np.zeros(size + 1, dtype=np.bool_)
    texts = np.empty(size + 1, dtype=object)
    for i, value in enumerate(uniques):
        try:
            coerced = check.coerce(value)
        except ScoringError as exc:
            is_bad[i] = True
            texts[i] = str(exc)
        else:
            by_value[i] = np.nan if coerced is None else coerced
    index = np.where(codes < 0, size, codes)
    bad = is_bad[index]
    return Column(by_value[index], bad, np.asarray(texts[index[bad]], dtype=object))


def _with_booleans_rejected(
    check: AnswerCheck, raw: NDArray[np.object_], is_bool: BoolArray, n: int
) -> Column:
    rest = np.flatnonzero(~is_bool)
    others = _coerce_by_distinct_value(check, pd.Series(raw[rest], dtype=object), rest.size)
    values = np.full(n, np.nan)
    values[rest] = others.values
    bad = is_bool.copy()
    bad[rest] = others.bad
    texts = np.empty(n, dtype=object)
    texts[rest[others.bad]] = others.bad_text
    texts[is_bool] = [_rejection(check, v) for v in raw[is_bool]]
    return Column(values, bad, np.asarray(texts[bad], dtype=object))


def _rejection(check: AnswerCheck, raw: object) -> str:
    """The single-answer message for a value known to be rejected."""
    try:
        check.coerce(raw)
    except ScoringError as exc:
        return str(exc)
    raise AssertionError(f"{raw!r} was expected to be rejected")  # pragma: no cover
