"""Kaplan–Meier event-free survival (reoperation-free, complication-free) with numbers at risk.

Wraps lifelines' `KaplanMeierFitter` (product-limit estimate; pointwise confidence interval by
lifelines' default "exponential Greenwood" method, i.e. Greenwood's variance on the
log(−log S) scale, which keeps limits inside 0–1). This module adds only what a registry page
needs around it: durations from dates with an explicit `as_of` censoring date, survival read
off the step function at chosen times (e.g. 3, 12, 24 months), and numbers at risk at those
times.

Number at risk at time t = patients whose follow-up lasted at least t (event-free and still
observed just before t), as in R's `summary(survfit, times=)`. Survival is not reported beyond
the longest follow-up (no one at risk): the estimate there is NaN rather than a flat line that
no patient supports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Self

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from fusiontrack.core.stats._frame import BoolArray, FloatArray
from fusiontrack.core.stats.errors import StatsInputError

#: Average month length in days (365.25 / 12), to express durations in months.
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Durations:
    """Follow-up time per patient and whether the event was seen (False = censored)."""

    durations: FloatArray
    observed: BoolArray


def _dates(values: Any, name: str) -> pd.Series:
    series = pd.Series(values)
    if pd.api.types.is_datetime64_dtype(series.dtype):  # already dates: no parsing pass
        return series.dt.normalize()
    try:
        return pd.to_datetime(series, errors="raise").dt.normalize()
    except (ValueError, TypeError) as exc:
        raise StatsInputError(f"{name} must be dates (blank when none): {exc}") from exc


def durations_from_dates(
    start: Any,
    event: Any,
    end_of_follow_up: Any = None,
    *,
    as_of: date,
    days_per_unit: float = 1.0,
) -> Durations:
    """Durations from dates, censoring at `as_of` (pass it explicitly: never "today").

    - `start`: date follow-up starts (e.g. the index operation); required for every patient.
    - `event`: date of the first event (e.g. reoperation), blank if none.
    - `end_of_follow_up`: optional date observation ended earlier than `as_of` (withdrawal,
      death from another cause, lost to follow-up); blank = still followed.
    Follow-up ends at the earliest of event, end of follow-up and `as_of`; an event after the
    end of follow-up or after `as_of` counts as censored at that end.
    Durations are in days divided by `days_per_unit` (use DAYS_PER_MONTH for months).
    """
    if days_per_unit <= 0:
        raise StatsInputError(f"days_per_unit must be positive, got {days_per_unit!r}")
    starts = _dates(start, "start")
    events = _dates(event, "event").reset_index(drop=True)
    starts = starts.reset_index(drop=True)
    if len(events) != len(starts):
        raise StatsInputError(
            f"start and event need one value per patient ({len(starts)} vs {len(events)})"
        )
    cutoff = pd.Timestamp(as_of)
    if end_of_follow_up is None:
        ends = pd.Series(cutoff, index=starts.index)
    else:
        ends = _dates(end_of_follow_up, "end_of_follow_up").reset_index(drop=True)
        if len(ends) != len(starts):
            raise StatsInputError("end_of_follow_up needs one value per patient, like start")
        ends = ends.fillna(cutoff)
        ends = ends.mask(ends > cutoff, cutoff)
    if starts.isna().any():
        raise StatsInputError(
            f"{int(starts.isna().sum())} patient(s) have no start date; record the date of "
            "the operation or leave them out of the survival analysis"
        )
    if (starts > cutoff).any():
        raise StatsInputError(
            f"{int((starts > cutoff).sum())} patient(s) start after as_of={as_of.isoformat()}; "
            "leave them out or use a later as_of"
        )
    if (events < starts).any():
        raise StatsInputError(
            f"{int((events < starts).sum())} patient(s) have an event dated before the start "
            "date; correct the dates"
        )
    observed = (events.notna() & (events <= ends)).to_numpy(bool)
    stop = events.where(pd.Series(observed), ends)
    days = (stop - starts).dt.days.to_numpy(float)
    if (days < 0).any():
        raise StatsInputError(
            f"{int((days < 0).sum())} patient(s) end follow-up before their start date; "
            "correct end_of_follow_up"
        )
    return Durations(durations=days / days_per_unit, observed=observed)


@dataclass(frozen=True)
class SurvivalPoint:
    """Event-free survival at one time with its interval and the number still at risk."""

    time: float
    survival: float
    lower: float
    upper: float
    at_risk: int
    events_so_far: int
    censored_so_far: int


@dataclass(frozen=True)
class SurvivalSummary:
    """Kaplan–Meier survival at chosen times."""

    label: str
    n: int
    n_events: int
    confidence: float
    ci_method: str
    points: tuple[SurvivalPoint, ...]


class KaplanMeier:
    """Kaplan–Meier estimator (lifelines) read at chosen times with numbers at risk.

    >>> km = KaplanMeier(label="reoperation-free").fit(durations, observed)
    >>> km.at([3, 12, 24]).points[1].survival
    """

    CI_METHOD = "exponential Greenwood (Greenwood variance on the log(−log S) scale; lifelines)"

    def __init__(self, *, confidence: float = 0.95, label: str = "event-free survival") -> None:
        if not 0.0 < confidence < 1.0:
            raise StatsInputError(f"confidence must be between 0 and 1, got {confidence!r}")
        self.confidence = confidence
        self.label = label

    def fit(self, durations: Any, observed: Any) -> Self:
        """Fit on one duration and one event flag (True = event seen) per patient."""
        times = np.asarray(durations, dtype=float)
        seen = np.asarray(observed, dtype=bool)
        if times.ndim != 1 or times.shape != seen.shape:
            raise StatsInputError("durations and observed need one value per patient each")
        if times.size == 0:
            raise StatsInputError("no patients to analyse; widen the filters")
        if np.isnan(times).any() or (times < 0).any():
            raise StatsInputError("durations must be non-negative numbers without blanks")
        self.durations_: FloatArray = times
        self.observed_: BoolArray = seen
        self.fitter_ = KaplanMeierFitter(label=self.label).fit(
            times, event_observed=seen, alpha=1.0 - self.confidence
        )
        self.n_ = int(times.size)
        self.n_events_ = int(seen.sum())
        return self

    def at(self, times: Sequence[float]) -> SurvivalSummary:
        """Survival, interval, numbers at risk and cumulative events/censorings at `times`."""
        fitter = self.fitter_
        curve = fitter.survival_function_.iloc[:, 0]
        band = fitter.confidence_interval_survival_function_
        grid = curve.index.to_numpy(float)
        points = []
        for t in (float(x) for x in times):
            at_risk = int((self.durations_ >= t).sum())
            done = self.durations_ <= t
            events = int((done & self.observed_).sum())
            censored = int((done & ~self.observed_).sum())
            if t < 0 or at_risk == 0:
                points.append(SurvivalPoint(t, np.nan, np.nan, np.nan, at_risk, events, censored))
                continue
            row = int(np.searchsorted(grid, t, side="right")) - 1
            points.append(
                SurvivalPoint(
                    time=t,
                    survival=float(curve.iloc[row]),
                    lower=float(band.iloc[row, 0]),
                    upper=float(band.iloc[row, 1]),
                    at_risk=at_risk,
                    events_so_far=events,
                    censored_so_far=censored,
                )
            )
        return SurvivalSummary(
            label=self.label,
            n=self.n_,
            n_events=self.n_events_,
            confidence=self.confidence,
            ci_method=self.CI_METHOD,
            points=tuple(points),
        )
