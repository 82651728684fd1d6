"""Classify the change between a baseline and a follow-up score.

One numpy kernel does the work for both `classify_change` (one patient) and
`classify_change_batch` (a cohort), so the two cannot disagree.

Definitions (direction-aware: positive = better):

* ``change`` = follow-up − baseline, in the measure's own direction (ODI 46 → 18: −28);
* ``improvement`` = change made positive-is-better (ODI 46 → 18: +28; EQ-5D 0.5 → 0.7: +0.2);
* ``percent_change`` = 100 × improvement / |baseline| (ODI 46 → 18: 60.9 %); None when the
  baseline is 0, because no relative change from zero exists (a patient with ODI 0 cannot
  improve; one with EQ-5D 0 can, but "percent of zero" is undefined);
* ``mcid`` / ``scb`` / ``pass_``: whether any threshold of that kind in the set is met; None
  when the set has no threshold of that kind for the measure (we never guess one);
* ``worsened``: the set's deterioration threshold (Mannion 2009 for COMI) or, when it has none,
  the MCID's absolute-change rules applied to worsening (issue 2 §4: "worsened beyond MCID").
  Percent and final-score rules are defined for improvement only and are not mirrored.

A rule that cannot be evaluated (a percent rule with baseline 0) does not decide: the kind is
True if any evaluable rule is met, False if some rule was evaluable and none is met, else None.

Category precedence: ``not_assessable`` (baseline or follow-up missing: every other field is
None) > ``worsened`` > ``substantial_benefit`` (SCB met and the MCID not missed) > ``improved``
(MCID) > ``unchanged`` (MCID and deterioration both evaluable and not met) > ``no_threshold``
(the set cannot say). Why the guards: Glassman's SCB is "any" of 18.8 points, 36.8 % or a final
ODI below 31.3, so the final-score rule alone is also met by a patient who stayed at ODI 25 or
went from 20 to 30. The `scb` flag stays as published; the category does not call a change
below the MCID, or a worsening, a substantial benefit.

Values outside the measure's range (ODI 120) raise ThresholdError: they are scoring bugs or
mis-typed data, and classifying them would hide that.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.core.errors import ThresholdError
from fusiontrack.core.outcomes.thresholds import (
    DEFAULT_THRESHOLD_SET,
    KINDS,
    Kind,
    Measure,
    Threshold,
    ThresholdSet,
    get_measure,
    get_threshold_set,
)

Category = Literal[
    "substantial_benefit", "improved", "unchanged", "worsened", "no_threshold", "not_assessable"
]
CATEGORIES: tuple[Category, ...] = (
    "substantial_benefit",
    "improved",
    "unchanged",
    "worsened",
    "no_threshold",
    "not_assessable",
)
FLAGS = ("mcid", "scb", "pass_", "worsened")
#: Columns of `classify_change_batch`, named like the ChangeResult fields.
COLUMNS = (
    "measure",
    "baseline",
    "followup",
    "change",
    "improvement",
    "percent_change",
    "mcid",
    "scb",
    "pass_",
    "worsened",
    "category",
    "threshold_set",
)
# Scores are sums and means of floats: 0.6 − 0.5 is 0.09999999999999998. A change equal to the
# threshold up to this tolerance counts as equal, so "≥ 0.10" behaves as people expect.
_EPS = 1e-9
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class ChangeResult:
    """Before/after classification of one measure for one patient (see module docstring)."""

    measure: str
    baseline: float | None
    followup: float | None
    change: float | None
    improvement: float | None
    percent_change: float | None
    mcid: bool | None
    scb: bool | None
    pass_: bool | None
    worsened: bool | None
    category: Category
    threshold_set: str
    thresholds: tuple[Threshold, ...]

    @property
    def assessable(self) -> bool:
        return self.category != "not_assessable"

    def thresholds_of(self, kind: Kind) -> tuple[Threshold, ...]:
        """The thresholds used for one kind (deterioration may be mirrored from the MCID)."""
        return tuple(t for t in self.thresholds if t.kind == kind)


@lru_cache(maxsize=256)
def resolved_thresholds(tset: ThresholdSet, measure: str) -> Mapping[str, tuple[Threshold, ...]]:
    """Per kind, the thresholds that decide; deterioration falls back to mirrored MCID rules."""
    by_kind: dict[str, tuple[Threshold, ...]] = {kind: tset.rules(measure, kind) for kind in KINDS}
    if not by_kind["deterioration"]:
        by_kind["deterioration"] = tuple(
            replace(
                t,
                id=f"{t.id}.as_worsening",
                kind="deterioration",
                method=f"MCID applied to worsening by fusiontrack; source: {t.method}",
                evidence_note=(
                    f"{t.evidence_note} The source defines this value for improvement; "
                    "fusiontrack uses it for worsening too (issue 2 §4)."
                ).strip(),
            )
            for t in by_kind["mcid"]
            if t.rule == "absolute_change"
        )
    return MappingProxyType(by_kind)


def _compare(x: FloatArray, operator: str, value: float) -> BoolArray:
    with np.errstate(invalid="ignore"):
        if operator == ">=":
            return x >= value - _EPS
        if operator == ">":
            return x > value + _EPS
        if operator == "<=":
            return x <= value + _EPS
        return x < value - _EPS


def _evaluate(
    thresholds: Sequence[Threshold],
    improvement: FloatArray,
    percent: FloatArray,
    followup: FloatArray,
    assessable: BoolArray,
) -> tuple[BoolArray, BoolArray]:
    """'Any' of the rules: (met, defined) arrays; undefined rows are reported as None."""
    met = np.zeros(assessable.shape, dtype=bool)
    defined = np.zeros(assessable.shape, dtype=bool)
    for t in thresholds:
        sign = -1.0 if t.kind == "deterioration" else 1.0
        if t.rule == "absolute_change":
            x, ok = sign * improvement, assessable
        elif t.rule == "percent_change":
            x, ok = sign * percent, assessable & np.isfinite(percent)
        else:
            x, ok = followup, assessable
        met |= ok & _compare(x, t.operator, t.value)
        defined |= ok
    return met, defined


@dataclass(frozen=True)
class _Arrays:
    change: FloatArray
    improvement: FloatArray
    percent: FloatArray
    flags: dict[str, tuple[BoolArray, BoolArray]]
    category: NDArray[np.object_]
    thresholds: tuple[Threshold, ...]


def _kernel(measure: Measure, tset: ThresholdSet, b: FloatArray, f: FloatArray) -> _Arrays:
    assessable = np.isfinite(b) & np.isfinite(f)
    change = np.where(assessable, f - b, np.nan)
    improvement = np.where(assessable, b - f, np.nan) if measure.lower_is_better else change
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        percent = np.where(assessable & (b != 0), 100.0 * improvement / np.abs(b), np.nan)
    rules = resolved_thresholds(tset, measure.id)
    flags = {
        flag: _evaluate(rules[kind], improvement, percent, f, assessable)
        for flag, kind in (
            ("mcid", "mcid"),
            ("scb", "scb"),
            ("pass_", "pass"),
            ("worsened", "deterioration"),
        )
    }
    (mcid, mcid_ok), (scb, _), _, (worse, worse_ok) = (flags[k] for k in FLAGS)
    category = np.select(
        [~assessable, worse, scb & ~(mcid_ok & ~mcid), mcid, mcid_ok & worse_ok],
        ["not_assessable", "worsened", "substantial_benefit", "improved", "unchanged"],
        default="no_threshold",
    ).astype(object)
    used = tuple(t for kind in ("mcid", "scb", "pass", "deterioration") for t in rules[kind])
    return _Arrays(change, improvement, percent, flags, category, used)


def _check_range(measure: Measure, values: FloatArray, label: str) -> None:
    with np.errstate(invalid="ignore"):
        low = (
            values < measure.min - _EPS if measure.min is not None else np.zeros(values.shape, bool)
        )
        high = (
            values > measure.max + _EPS if measure.max is not None else np.zeros(values.shape, bool)
        )
    bad = np.flatnonzero(low | high | np.isinf(values))
    if bad.size:
        lo = "…" if measure.min is None else f"{measure.min:g}"
        hi = "…" if measure.max is None else f"{measure.max:g}"
        shown = ", ".join(f"{values[i]:g}" for i in bad[:5])
        rows = f" (rows {', '.join(str(int(i)) for i in bad[:5])})" if values.size > 1 else ""
        raise ThresholdError(
            f"{measure.short} {label} {shown} is outside {lo}–{hi}{rows}; "
            "check the scoring or the data entry, then classify again"
        )


def _as_float(value: object, measure: Measure, label: str) -> float:
    if value is None or value is pd.NA:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ThresholdError(f"{measure.short} {label} must be a number or empty, got {value!r}")
    return float(value)


def classify_change(
    measure: str,
    baseline: float | None,
    followup: float | None,
    threshold_set: str | ThresholdSet = DEFAULT_THRESHOLD_SET,
) -> ChangeResult:
    """Classify one patient's change on one measure; missing scores give 'not_assessable'."""
    info = get_measure(measure)
    tset = get_threshold_set(threshold_set)
    b = np.array([_as_float(baseline, info, "baseline")])
    f = np.array([_as_float(followup, info, "follow-up")])
    _check_range(info, b, "baseline")
    _check_range(info, f, "follow-up")
    arrays = _kernel(info, tset, b, f)

    def number(values: FloatArray) -> float | None:
        return None if math.isnan(values[0]) else float(values[0])

    def flag(name: str) -> bool | None:
        met, defined = arrays.flags[name]
        return bool(met[0]) if defined[0] else None

    return ChangeResult(
        measure=info.id,
        baseline=number(b),
        followup=number(f),
        change=number(arrays.change),
        improvement=number(arrays.improvement),
        percent_change=number(arrays.percent),
        mcid=flag("mcid"),
        scb=flag("scb"),
        pass_=flag("pass_"),
        worsened=flag("worsened"),
        category=arrays.category[0],
        threshold_set=tset.id,
        thresholds=arrays.thresholds,
    )


def _column(values: Any, info: Measure, label: str) -> FloatArray:
    try:
        array = pd.array(
            values if not isinstance(values, pd.Series) else values.to_numpy(), dtype="Float64"
        )
    except (TypeError, ValueError) as exc:
        raise ThresholdError(
            f"{info.short} {label} scores must be numbers or empty ({exc})"
        ) from None
    out: FloatArray = array.to_numpy(dtype=np.float64, na_value=np.nan)
    if out.ndim != 1:
        raise ThresholdError(f"{info.short} {label} scores must be one-dimensional")
    return out


def classify_change_batch(
    measure: str,
    baseline: Iterable[float | None],
    followup: Iterable[float | None],
    threshold_set: str | ThresholdSet = DEFAULT_THRESHOLD_SET,
) -> pd.DataFrame:
    """Vectorised `classify_change`: one row per pair, columns `COLUMNS`, same values.

    Floats use NaN and flags use pandas' nullable boolean (NA) where the single version says
    None. A pandas Series baseline keeps its index so rows line up with the caller's table.
    """
    info = get_measure(measure)
    tset = get_threshold_set(threshold_set)
    b = _column(baseline, info, "baseline")
    f = _column(followup, info, "follow-up")
    if b.shape != f.shape:
        raise ThresholdError(
            f"{info.short}: {b.size} baseline scores but {f.size} follow-up scores; "
            "pair them one to one"
        )
    _check_range(info, b, "baseline")
    _check_range(info, f, "follow-up")
    arrays = _kernel(info, tset, b, f)
    index = baseline.index if isinstance(baseline, pd.Series) else pd.RangeIndex(b.size)
    frame = pd.DataFrame(
        {
            "measure": info.id,
            "baseline": b,
            "followup": f,
            "change": arrays.change,
            "improvement": arrays.improvement,
            "percent_change": arrays.percent,
            **{
                name: pd.arrays.BooleanArray(met, ~defined)
                for name, (met, defined) in arrays.flags.items()
            },
            "category": arrays.category,
            "threshold_set": tset.id,
        },
        index=index,
    )
    return frame[list(COLUMNS)]
