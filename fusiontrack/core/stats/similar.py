"""Patients like you: outcomes of similar past registry patients, or a plain "too few".

Matching rule (a design choice of this project, not taken from a publication):
1. Exact match on the categorical baseline factors (default: diagnosis, fused levels, smoking).
2. Caliper on each continuous factor (default: baseline ODI, age, BMI): a past patient is
   similar only if they differ from this patient by at most `caliper_sd` registry standard
   deviations on every one of them (default 0.5 SD — e.g. with an ODI SD of 15 points, within
   ±7.5 points). A factor missing for this patient is not used; past patients missing a
   factor that is used are not matched.
3. Among those, the nearest by Euclidean distance in SD units, at most `max_matches`.
4. Fewer than `min_matches` (default 30) similar patients: `too_few` is set, the message says so
   plainly, and no distribution is returned — a handful of patients gives an unreliable and
   potentially identifying picture. Each outcome time point is also flagged when fewer than
   `min_matches` of the matched patients have answered it.
# SOURCE MISSING: the 0.5 SD caliper and the minimum of 30 are project defaults chosen for
# readability and stability, not cited values; both are configurable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd

from fusiontrack.core.stats._frame import binary_outcome, require_columns
from fusiontrack.core.stats.descriptive import Proportion, proportion_reaching
from fusiontrack.core.stats.errors import StatsInputError

DEFAULT_QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)


@dataclass(frozen=True)
class OutcomeDistribution:
    """How one outcome (e.g. ODI at 12 months) turned out for the matched patients.

    Numeric outcomes carry quantiles (and bin counts when bins were asked for); yes/no outcomes
    carry a Proportion with its Wilson interval. Empty when `too_few`.
    """

    label: str
    column: str
    n_matched: int
    n_with_outcome: int
    too_few: bool
    quantiles: tuple[tuple[float, float], ...] = ()
    mean: float | None = None
    bin_edges: tuple[float, ...] = ()
    bin_counts: tuple[int, ...] = ()
    proportion: Proportion | None = None


@dataclass(frozen=True)
class SimilarPatientsResult:
    """The matched group, its outcomes, and a plain-language message for the page."""

    n_exact_candidates: int
    n_matched: int
    min_matches: int
    too_few: bool
    message: str
    rule: str
    outcomes: tuple[OutcomeDistribution, ...]
    matched_index: tuple[Any, ...] = field(repr=False, default=())


class SimilarPatients:
    """Find registry patients similar to one patient before surgery and summarise their outcomes.

    >>> finder = SimilarPatients().fit(registry)
    >>> finder.query(patient, {"ODI at 12 months": "odi_12m"}).outcomes
    """

    def __init__(
        self,
        *,
        exact: Sequence[str] = ("diagnosis", "levels", "smoking"),
        continuous: Sequence[str] = ("odi", "age", "bmi"),
        caliper_sd: float = 0.5,
        max_matches: int = 200,
        min_matches: int = 30,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> None:
        if caliper_sd <= 0:
            raise StatsInputError(f"caliper_sd must be positive, got {caliper_sd!r}")
        if min_matches < 1 or max_matches < min_matches:
            raise StatsInputError(
                "need 1 ≤ min_matches ≤ max_matches, got "
                f"min_matches={min_matches}, max_matches={max_matches}"
            )
        self.exact = tuple(exact)
        self.continuous = tuple(continuous)
        self.caliper_sd = caliper_sd
        self.max_matches = max_matches
        self.min_matches = min_matches
        self.quantiles = tuple(quantiles)

    def fit(self, registry: pd.DataFrame) -> Self:
        """Keep the registry and the standard deviations used to scale distances."""
        require_columns(registry, [*self.exact, *self.continuous], "SimilarPatients")
        numeric = registry[list(self.continuous)].apply(pd.to_numeric, errors="coerce")
        self.scale_ = {c: float(numeric[c].std(ddof=1)) for c in self.continuous}
        self.registry_ = registry
        self.numeric_ = numeric
        return self

    def _rule(self, used: Sequence[str]) -> str:
        parts = [f"same {', '.join(c.replace('_', ' ') for c in self.exact)}"] if self.exact else []
        if used:
            parts.append(
                f"{', '.join(c.replace('_', ' ') for c in used)} each within "
                f"{self.caliper_sd:g} standard deviation(s) of this patient's"
            )
        return "; ".join(parts) + f"; the {self.max_matches} closest at most"

    def query(
        self,
        patient: Mapping[str, Any],
        outcomes: Mapping[str, str],
        *,
        bins: Mapping[str, Sequence[float]] | None = None,
        exclude: Iterable[Any] = (),
    ) -> SimilarPatientsResult:
        """Match `patient` (baseline values by column name) and summarise `outcomes`.

        `outcomes` maps a label to a registry column, e.g. {"ODI at 3 months": "odi_3m"}.
        `bins` optionally maps a column to bin edges for counts; `exclude` drops registry rows
        by index (e.g. the patient themself).
        """
        require_columns(self.registry_, list(outcomes.values()), "SimilarPatients.query")
        missing = [c for c in self.exact if _blank(patient.get(c))]
        if missing:
            raise StatsInputError(
                f"this patient's {', '.join(missing)} is not recorded; record it to find "
                "similar patients"
            )
        keep = ~self.registry_.index.isin(list(exclude))
        for column in self.exact:
            keep &= (self.registry_[column].astype(str) == str(patient[column])).to_numpy()
        n_exact = int(keep.sum())
        used = [c for c in self.continuous if not _blank(patient.get(c))]
        distance = np.zeros(len(self.registry_))
        for column in used:
            scale = self.scale_[column]
            if not np.isfinite(scale) or scale == 0:
                continue
            z = (self.numeric_[column].to_numpy(float) - float(patient[column])) / scale
            keep &= np.abs(np.nan_to_num(z, nan=np.inf)) <= self.caliper_sd
            distance += np.nan_to_num(z, nan=np.inf) ** 2
        candidates = np.flatnonzero(keep)
        order = candidates[np.argsort(distance[candidates], kind="stable")][: self.max_matches]
        matched = self.registry_.iloc[order]
        too_few = len(matched) < self.min_matches
        results = tuple(
            self._summarise(label, column, matched, too_few, (bins or {}).get(column))
            for label, column in outcomes.items()
        )
        return SimilarPatientsResult(
            n_exact_candidates=n_exact,
            n_matched=len(matched),
            min_matches=self.min_matches,
            too_few=too_few,
            message=self._message(len(matched), too_few),
            rule=self._rule(used),
            outcomes=results,
            matched_index=tuple(matched.index),
        )

    def _message(self, n: int, too_few: bool) -> str:
        if too_few:
            return (
                f"Only {n} past patient{'s' if n != 1 else ''} in this registry "
                f"{'are' if n != 1 else 'is'} similar enough to you. That is too few to give a "
                f"reliable picture (we need at least {self.min_matches}), so no results are "
                "shown. Your care team can talk you through what to expect."
            )
        return (
            f"{n} past patients in this registry were similar to you before surgery. Their "
            "results show the range of what happened to people like you; they are not a "
            "prediction for you. Talk them through with your care team."
        )

    def _summarise(
        self,
        label: str,
        column: str,
        matched: pd.DataFrame,
        too_few_overall: bool,
        edges: Sequence[float] | None,
    ) -> OutcomeDistribution:
        series = matched[column]
        n_with = int(series.notna().sum())
        too_few = too_few_overall or n_with < self.min_matches
        if too_few:
            return OutcomeDistribution(label, column, len(matched), n_with, True)
        if pd.api.types.is_bool_dtype(series) or _looks_binary(series):
            outcome = binary_outcome(series.to_numpy(), column)
            return OutcomeDistribution(
                label, column, len(matched), n_with, False, proportion=proportion_reaching(outcome)
            )
        values = pd.to_numeric(series, errors="coerce").dropna().to_numpy(float)
        quantiles = tuple(
            (q, float(v))
            for q, v in zip(self.quantiles, np.quantile(values, self.quantiles), strict=True)
        )
        counts: tuple[int, ...] = ()
        if edges is not None:
            counts = tuple(int(c) for c in np.histogram(values, bins=np.asarray(edges))[0])
        return OutcomeDistribution(
            label,
            column,
            len(matched),
            n_with,
            False,
            quantiles=quantiles,
            mean=float(values.mean()),
            bin_edges=tuple(float(e) for e in edges) if edges is not None else (),
            bin_counts=counts,
        )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _looks_binary(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(
        values.dtype == object and values.map(lambda v: isinstance(v, bool | np.bool_)).all()
    )
