"""Means, changes from baseline and proportions, each with its 95 % confidence interval.

Methods:
- mean: Student t interval, mean ± t(n−1, 1−α/2)·SD/√n (statsmodels `DescrStatsW.tconfint_mean`
  for one sample; the same formula vectorised with scipy's t quantile for grouped tables);
- change from baseline: the paired t interval, i.e. the t interval of the within-patient
  differences, using only patients with both values;
- proportion: Wilson score interval (Wilson EB. Probable inference, the law of succession, and
  statistical inference. J Am Stat Assoc 1927;22:209–212), recommended over the Wald interval by
  Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
  methods. Stat Med 1998;17:857–872; computed by statsmodels `proportion_confint(method="wilson")`.

Every proportion carries its numerator (patients reaching), the number answering and the number
eligible, so a page can never show "64 %" without "of 412 answering, 530 eligible".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from fusiontrack.core.stats._frame import binary_outcome, require_columns
from fusiontrack.core.stats.errors import StatsInputError

NAN = float("nan")
FloatMatrix = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise StatsInputError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")


def _numeric(values: Any, name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    array = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(float)
    given = pd.Series(values, dtype="object").notna().to_numpy()
    if np.any(given & np.isnan(array)):
        raise StatsInputError(f"{name} must be numbers (blank when missing)")
    return array


@dataclass(frozen=True)
class MeanCI:
    """Mean of the non-missing values with its t-based confidence interval."""

    mean: float
    lower: float
    upper: float
    sd: float
    n: int
    confidence: float


@dataclass(frozen=True)
class ChangeCI:
    """Mean within-patient change (follow-up − baseline) with its paired t interval."""

    baseline_mean: float
    follow_up_mean: float
    mean_change: float
    lower: float
    upper: float
    sd_change: float
    n_pairs: int
    confidence: float


@dataclass(frozen=True)
class Proportion:
    """Share of answering patients who reached a threshold, with its Wilson interval."""

    n_reaching: int
    n_answering: int
    n_eligible: int
    proportion: float
    lower: float
    upper: float
    confidence: float

    @property
    def completeness(self) -> float:
        """Share of eligible patients who answered (NaN when nobody was eligible)."""
        return self.n_answering / self.n_eligible if self.n_eligible else NAN


def mean_ci(values: Any, *, confidence: float = 0.95) -> MeanCI:
    """Mean and t interval of `values`, ignoring missing ones; interval is NaN below n = 2."""
    _check_confidence(confidence)
    array = _numeric(values, "values")
    array = array[~np.isnan(array)]
    n = int(array.size)
    if n == 0:
        return MeanCI(NAN, NAN, NAN, NAN, 0, confidence)
    if n == 1:
        return MeanCI(float(array[0]), NAN, NAN, NAN, 1, confidence)
    described = DescrStatsW(array)
    lower, upper = described.tconfint_mean(alpha=1.0 - confidence)
    sd = float(np.std(array, ddof=1))
    return MeanCI(float(described.mean), float(lower), float(upper), sd, n, confidence)


def paired_change_ci(baseline: Any, follow_up: Any, *, confidence: float = 0.95) -> ChangeCI:
    """Change from baseline over the patients who have both values (paired t interval)."""
    before = _numeric(baseline, "baseline")
    after = _numeric(follow_up, "follow_up")
    if before.shape != after.shape:
        raise StatsInputError(
            "baseline and follow_up must have one value per patient in the same order "
            f"(got {before.size} and {after.size} values)"
        )
    both = ~np.isnan(before) & ~np.isnan(after)
    change = mean_ci(after[both] - before[both], confidence=confidence)
    return ChangeCI(
        baseline_mean=float(before[both].mean()) if both.any() else NAN,
        follow_up_mean=float(after[both].mean()) if both.any() else NAN,
        mean_change=change.mean,
        lower=change.lower,
        upper=change.upper,
        sd_change=change.sd,
        n_pairs=change.n,
        confidence=confidence,
    )


def wilson_proportion(
    n_reaching: int, n_answering: int, n_eligible: int, *, confidence: float = 0.95
) -> Proportion:
    """Wilson interval for n_reaching / n_answering, carrying n_eligible alongside."""
    _check_confidence(confidence)
    if not 0 <= n_reaching <= n_answering <= n_eligible:
        raise StatsInputError(
            "counts must satisfy 0 ≤ reaching ≤ answering ≤ eligible; got "
            f"reaching={n_reaching}, answering={n_answering}, eligible={n_eligible}"
        )
    if n_answering == 0:
        return Proportion(n_reaching, 0, n_eligible, NAN, NAN, NAN, confidence)
    lower, upper = proportion_confint(
        n_reaching, n_answering, alpha=1.0 - confidence, method="wilson"
    )
    return Proportion(
        int(n_reaching),
        int(n_answering),
        int(n_eligible),
        n_reaching / n_answering,
        float(lower),
        float(upper),
        confidence,
    )


def proportion_reaching(reached: Any, *, confidence: float = 0.95) -> Proportion:
    """Proportion from one value per eligible patient: True/1 reached, False/0 not, blank =
    did not answer."""
    outcome = binary_outcome(reached, "reached")
    return wilson_proportion(
        int((outcome == 1.0).sum()),
        int(outcome.notna().sum()),
        int(outcome.size),
        confidence=confidence,
    )


# --- grouped tables (one row per group; vectorised for the dashboard) ------------------------


def _t_interval_columns(table: pd.DataFrame, confidence: float) -> pd.DataFrame:
    n = table["n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_quantile = sps.t.ppf(0.5 + confidence / 2.0, np.where(n > 1, n - 1, np.nan))
        half_width = t_quantile * table["sd"].to_numpy(float) / np.sqrt(n)
    table["lower"] = table["mean"] - half_width
    table["upper"] = table["mean"] + half_width
    return table


def group_means(
    frame: pd.DataFrame, value: str, by: Sequence[str], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean and t interval of `value` per group: columns *by, n, mean, sd, lower, upper."""
    _check_confidence(confidence)
    require_columns(frame, [value, *by], "group_means")
    grouped = frame.groupby(list(by), observed=True, dropna=False)[value]
    table = grouped.agg(["count", "mean", "std"]).rename(columns={"count": "n", "std": "sd"})
    return _t_interval_columns(table.reset_index(), confidence)


def _column_moments(values: FloatMatrix, present: BoolMatrix) -> tuple[Any, Any, Any]:
    """n, mean and SD (ddof 1; blank under two values) of each column over ``present`` cells,
    with plain sums (numpy's nan-functions copy the matrix several times)."""
    n = present.sum(axis=0)
    filled = np.where(present, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        deviations = np.where(present, values - mean, 0.0)
        sd = np.sqrt((deviations * deviations).sum(axis=0) / (n - 1))
    return n, np.where(n > 0, mean, np.nan), np.where(n > 1, sd, np.nan)


def column_means(matrix: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t interval of each column of a wide table (blank = not observed), the same
    numbers `group_means` gives on its long form: index = the columns, columns n, mean, sd,
    lower, upper. Why: a registry's scores are kept wide (episode × measure/time point); the
    column reductions of one float matrix are much faster than grouping millions of rows."""
    _check_confidence(confidence)
    values = matrix.to_numpy(dtype=float, na_value=np.nan)
    n, mean, sd = _column_moments(values, ~np.isnan(values))
    table = pd.DataFrame({"n": n, "mean": mean, "sd": sd}, index=matrix.columns)
    return _t_interval_columns(table[table["n"] > 0].copy(), confidence)


def column_changes(
    baseline: pd.Series, follow_ups: pd.DataFrame, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Paired change from ``baseline`` to each column of ``follow_ups`` (same rows; blank = not
    answered), the same numbers `group_changes` gives per column: index = the columns, columns
    n, baseline_mean, follow_up_mean, mean, sd, lower, upper (pairs with both values only)."""
    _check_confidence(confidence)
    after = follow_ups.to_numpy(dtype=float, na_value=np.nan)
    before = baseline.to_numpy(dtype=float, na_value=np.nan)[:, None]
    both = ~np.isnan(after) & ~np.isnan(before)
    n, mean, sd = _column_moments(after - before, both)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame(
            {
                "n": n,
                "baseline_mean": np.where(both, before, 0.0).sum(axis=0) / n,
                "follow_up_mean": np.where(both, after, 0.0).sum(axis=0) / n,
                "mean": mean,
                "sd": sd,
            },
            index=follow_ups.columns,
        )
    return _t_interval_columns(table[table["n"] > 0].copy(), confidence)


def group_changes(
    frame: pd.DataFrame,
    baseline: str,
    follow_up: str,
    by: Sequence[str],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Paired change per group: columns *by, n, baseline_mean, follow_up_mean, mean, sd, lower,
    upper (mean = mean change over patients with both values)."""
    _check_confidence(confidence)
    require_columns(frame, [baseline, follow_up, *by], "group_changes")
    paired = frame[[*by, baseline, follow_up]].dropna(subset=[baseline, follow_up])
    paired = paired.assign(_change=paired[follow_up] - paired[baseline])
    grouped = paired.groupby(list(by), observed=True, dropna=False)
    table = grouped.agg(
        n=("_change", "count"),
        baseline_mean=(baseline, "mean"),
        follow_up_mean=(follow_up, "mean"),
        mean=("_change", "mean"),
        sd=("_change", "std"),
    )
    return _t_interval_columns(table.reset_index(), confidence)


def group_proportions(
    frame: pd.DataFrame, reached: str, by: Sequence[str], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Wilson proportion per group: columns *by, n_eligible, n_answering, n_reaching,
    proportion, lower, upper. Each row is one eligible patient; `reached` blank = not answered."""
    _check_confidence(confidence)
    require_columns(frame, [reached, *by], "group_proportions")
    outcome = binary_outcome(frame[reached].to_numpy(), reached).to_numpy()
    work = frame[list(by)].assign(_answered=~np.isnan(outcome), _reached=outcome == 1.0)
    grouped = work.groupby(list(by), observed=True, dropna=False)
    table = grouped.agg(
        n_eligible=("_answered", "size"),
        n_answering=("_answered", "sum"),
        n_reaching=("_reached", "sum"),
    ).reset_index()
    answering = table["n_answering"].to_numpy(float)
    reaching = table["n_reaching"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["proportion"] = np.where(answering > 0, reaching / answering, np.nan)
        lower, upper = proportion_confint(
            reaching,
            np.where(answering > 0, answering, 1.0),
            alpha=1.0 - confidence,
            method="wilson",
        )
    table["lower"] = np.where(answering > 0, lower, np.nan)
    table["upper"] = np.where(answering > 0, upper, np.nan)
    return table
