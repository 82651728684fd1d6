"""Attrition-aware proportions: inverse-probability weighting for patients who did not answer.

Method (IPW for a missing outcome under "missing at random" given baseline covariates; see Li L,
Shen C, Li X, Robins JM. On weighting approaches for missing data. Stat Methods Med Res
2013;22(1):14–30, doi:10.1177/0962280211403597):

1. Response model: logistic regression (statsmodels `Logit`) of "answered at the time point"
   on baseline covariates, fitted on every eligible patient with complete covariates.
2. Weights for responders: 1 / P(answered | covariates). Stabilised weights multiply by the
   overall response rate so they average about 1 (stabilisation does not change this estimate;
   it makes the weights readable). Optionally truncated at the 1st and 99th percentiles of the
   responders' weights to limit the influence of a few patients with tiny response
   probabilities (Cole SR, Hernán MA. Constructing inverse probability weights for marginal
   structural models. Am J Epidemiol 2008;168(6):656–664, doi:10.1093/aje/kwn164).
3. Estimate: weighted share of responders reaching the threshold, Σw·y / Σw (Hájek form).
4. Interval, two choices:
   - "sandwich" (default, fast): robust HC0 variance of the weighted mean treating weights as
     fixed (statsmodels `WLS(...).fit(cov_type="HC0")`), Wald interval clipped to 0–1.
     Ignoring that the weights are estimated usually makes this interval somewhat wide
     (conservative) rather than too narrow. # SOURCE MISSING: a citation for the
     conservativeness of fixed-weight sandwich variance for this missing-outcome estimator was
     not verified here; treat as the usual claim, not a checked fact.
   - "bootstrap": resample eligible patients, refit the response model, recompute the estimate;
     percentile interval (seeded). Accounts for weight estimation; slower.

Baseline comparison of responders vs non-responders uses standardised mean differences (Austin
PC. Balance diagnostics for comparing the distribution of baseline covariates between treatment
groups in propensity-score matched samples. Stat Med 2009;28:3083–3107, doi:10.1002/sim.3697):
continuous d = (m₁ − m₀)/√((s₁² + s₀²)/2); binary d = (p₁ − p₀)/√((p₁(1−p₁) + p₀(1−p₀))/2);
categorical covariates are shown one level per row with the binary formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
import pandas as pd
import statsmodels.api as sm

from fusiontrack.core.stats._frame import (
    FloatArray,
    binary_outcome,
    category_levels,
    describe_pooling,
    design_matrix,
    fit_logit,
    level_indicators,
    logit_probabilities,
    pool_sparse_levels,
    require_columns,
)
from fusiontrack.core.stats.descriptive import Proportion, wilson_proportion
from fusiontrack.core.stats.errors import ModelFitError, StatsInputError

NAN = float("nan")

CIMethod = Literal["sandwich", "bootstrap"]


@dataclass(frozen=True)
class BaselineRow:
    """One covariate (or one level of a categorical covariate) by response status.

    Values are means for continuous covariates and proportions for category levels.
    `weighted_responders` / `weighted_smd` (responders weighted vs all eligible) show whether
    weighting made the responders look like everyone eligible; None when no weights were given.
    """

    variable: str
    level: str | None
    responders: float
    non_responders: float
    all_eligible: float
    n_responders: int
    n_non_responders: int
    smd: float
    weighted_responders: float | None = None
    weighted_smd: float | None = None


def _weighted_mean_var(values: FloatArray, weights: FloatArray) -> tuple[float, float]:
    """Weighted mean and sample variance (Σw(x − m)² / (V₁ − V₂/V₁), V₁ = Σw, V₂ = Σw²),
    which is the usual n − 1 variance when all weights are equal (as in Austin 2009)."""
    keep = ~np.isnan(values) & (weights > 0)
    v1 = float(weights[keep].sum())
    if v1 == 0:
        return NAN, NAN
    mean = float(np.average(values[keep], weights=weights[keep]))
    v2 = float(np.sum(weights[keep] ** 2))
    denominator = v1 - v2 / v1
    if denominator <= 0:
        return mean, NAN
    return mean, float(np.sum(weights[keep] * (values[keep] - mean) ** 2) / denominator)


def _smd(mean1: float, var1: float, mean0: float, var0: float) -> float:
    pooled = np.sqrt((var1 + var0) / 2.0)
    if not np.isfinite(pooled):
        return NAN
    if pooled == 0:
        return 0.0 if mean1 == mean0 else NAN
    return float((mean1 - mean0) / pooled)


def _variables(frame: pd.DataFrame, covariates: Sequence[str]) -> list[tuple[str, str | None, Any]]:
    """(variable, level, numeric column) triples; categorical levels become 0/1 columns."""
    levels = category_levels(frame, covariates)
    out: list[tuple[str, str | None, Any]] = []
    for name in covariates:
        series = frame[name]
        if name in levels:
            indicators = level_indicators(series, levels[name])
            for level in levels[name]:
                out.append((name, level, pd.Series(indicators[level], index=series.index)))
        else:
            out.append((name, None, pd.to_numeric(series, errors="coerce").astype(float)))
    return out


def compare_responders(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    responded: Any,
    *,
    weights: Any = None,
) -> tuple[BaselineRow, ...]:
    """Baseline characteristics of responders vs non-responders with standardised differences.

    `responded` is one True/False per row of `frame`; `weights` (optional, one per row, used
    for responders only) adds the weighted-responder columns.
    """
    require_columns(frame, covariates, "compare_responders")
    answered = np.asarray(responded, dtype=bool)
    if answered.shape != (len(frame),):
        raise StatsInputError("responded needs one True/False per row of the data")
    w = np.ones(len(frame)) if weights is None else np.asarray(weights, dtype=float)
    w = np.where(answered, np.nan_to_num(w), 0.0)
    rows = []
    for name, level, column in _variables(frame, covariates):
        values = np.asarray(column, dtype=float)
        resp, non = values[answered], values[~answered]
        m1, v1 = _weighted_mean_var(resp, np.ones(resp.size))
        m0, v0 = _weighted_mean_var(non, np.ones(non.size))
        m_all, v_all = _weighted_mean_var(values, np.ones(values.size))
        if level is not None:  # binary variance p(1−p), per Austin 2009
            v1, v0, v_all = m1 * (1 - m1), m0 * (1 - m0), m_all * (1 - m_all)
        weighted: float | None = None
        weighted_smd: float | None = None
        if weights is not None:
            mw, vw = _weighted_mean_var(values, w)
            if level is not None:
                vw = mw * (1 - mw)
            weighted, weighted_smd = mw, _smd(mw, vw, m_all, v_all)
        rows.append(
            BaselineRow(
                variable=name,
                level=level,
                responders=m1,
                non_responders=m0,
                all_eligible=m_all,
                n_responders=int((~np.isnan(resp)).sum()),
                n_non_responders=int((~np.isnan(non)).sum()),
                smd=_smd(m1, v1, m0, v0),
                weighted_responders=weighted,
                weighted_smd=weighted_smd,
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class IPWResult:
    """Complete-case and inverse-probability-weighted proportion side by side."""

    complete_case: Proportion
    estimate: float
    lower: float
    upper: float
    confidence: float
    ci_method: str
    n_eligible: int
    n_responders: int
    n_excluded_missing_covariates: int
    effective_sample_size: float
    weight_min: float
    weight_max: float
    truncation: tuple[float, float] | None
    n_truncated: int
    explanation: str


EXPLANATION = (
    "Not everyone answered: {answered} of {eligible} eligible patients ({completeness:.0f} %) "
    "returned the questionnaire. Patients who answer can differ from those who do not, so the "
    "share among those who answered ({cc:.0f} %) may not describe everyone. The adjusted figure "
    "({ipw:.0f} %, 95 % CI {lo:.0f}–{hi:.0f} %) counts each patient who answered more if they "
    "resemble the patients who did not answer in {covariates} before surgery "
    "(inverse-probability weighting). It assumes that patients alike in these respects did "
    "equally well whether or not they answered — this cannot be checked from the data, so read "
    "both figures together."
)


class IPWProportion:
    """Inverse-probability-weighted proportion reaching a threshold (e.g. ODI MCID at 12 months).

    `labels` gives readable names of the covariates for the explanation, e.g.
    {"odi_baseline": "disability score (ODI)"}.

    >>> ipw = IPWProportion(["age", "odi_baseline", "smoking"]).fit(frame, "mcid_12m")
    >>> ipw.result_.estimate, ipw.result_.complete_case.proportion
    """

    def __init__(
        self,
        covariates: Sequence[str],
        *,
        stabilise: bool = True,
        truncate: tuple[float, float] | None = (0.01, 0.99),
        ci_method: CIMethod = "sandwich",
        n_bootstrap: int = 200,
        seed: int = 20_240_601,
        confidence: float = 0.95,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if not covariates:
            raise StatsInputError("IPWProportion needs at least one baseline covariate")
        if truncate is not None and not 0.0 <= truncate[0] < truncate[1] <= 1.0:
            raise StatsInputError(
                f"truncate must be two quantiles 0 ≤ low < high ≤ 1, e.g. (0.01, 0.99); "
                f"got {truncate!r}"
            )
        if ci_method not in ("sandwich", "bootstrap"):
            raise StatsInputError(f"ci_method must be 'sandwich' or 'bootstrap', not {ci_method!r}")
        if not 0.0 < confidence < 1.0:
            raise StatsInputError(f"confidence must be between 0 and 1, got {confidence!r}")
        self.covariates = tuple(covariates)
        self.stabilise = stabilise
        self.truncate = truncate
        self.ci_method: CIMethod = ci_method
        self.n_bootstrap = n_bootstrap
        self.seed = seed
        self.confidence = confidence
        self.labels = dict(labels or {})

    # -- pieces ---------------------------------------------------------------------------

    def _weights(self, answered: FloatArray, design: pd.DataFrame) -> tuple[FloatArray, int, Any]:
        """Responder weights (0 for non-responders), number truncated, fitted response model."""
        if answered.all():
            return np.ones(answered.size), 0, None
        model = fit_logit(answered, design, what="response model")
        p = logit_probabilities(np.asarray(model.params), design)
        raw = np.where(answered == 1.0, 1.0 / p, 0.0)
        if self.stabilise:
            raw = raw * answered.mean()
        n_truncated = 0
        if self.truncate is not None:
            resp = raw[answered == 1.0]
            low, high = np.quantile(resp, self.truncate)
            clipped = np.clip(resp, low, high)
            n_truncated = int((clipped != resp).sum())
            raw[answered == 1.0] = clipped
        return raw, n_truncated, model

    @staticmethod
    def _estimate(y: FloatArray, weights: FloatArray) -> float:
        resp = weights > 0
        return float(np.sum(weights[resp] * y[resp]) / np.sum(weights[resp]))

    def _sandwich(self, y: FloatArray, weights: FloatArray) -> tuple[float, float]:
        resp = weights > 0
        fit = sm.WLS(y[resp], np.ones(int(resp.sum())), weights=weights[resp]).fit(cov_type="HC0")
        lower, upper = np.asarray(fit.conf_int(alpha=1.0 - self.confidence))[0]
        return max(0.0, float(lower)), min(1.0, float(upper))

    def _bootstrap(
        self, y: FloatArray, answered: FloatArray, design: pd.DataFrame
    ) -> tuple[float, float]:
        rng = np.random.default_rng(self.seed)
        n = answered.size
        estimates = []
        for _ in range(self.n_bootstrap):
            idx = rng.integers(0, n, n)
            if answered[idx].sum() == 0:
                continue
            try:
                w, _, _ = self._weights(answered[idx], design.iloc[idx])
            except ModelFitError:
                continue
            estimates.append(self._estimate(y[idx], w))
        if len(estimates) < max(10, self.n_bootstrap // 2):
            return NAN, NAN
        tail = (1.0 - self.confidence) / 2.0
        lower, upper = np.quantile(estimates, [tail, 1.0 - tail])
        return float(lower), float(upper)

    # -- estimator --------------------------------------------------------------------------

    def fit(self, frame: pd.DataFrame, outcome: str) -> Self:
        """Fit on one row per eligible patient; `outcome` True/False, blank = did not answer."""
        require_columns(frame, [outcome, *self.covariates], "IPWProportion")
        reached = binary_outcome(frame[outcome].to_numpy(), outcome).to_numpy()
        complete_case = wilson_proportion(
            int((reached == 1.0).sum()),
            int((~np.isnan(reached)).sum()),
            int(reached.size),
            confidence=self.confidence,
        )
        responded = (~np.isnan(reached)).astype(float)
        frame, self.pooled_ = pool_sparse_levels(frame, self.covariates, responded)
        levels = category_levels(frame, self.covariates)
        design = design_matrix(frame, self.covariates, levels)
        usable = design.notna().all(axis=1).to_numpy()
        design = design.loc[usable]
        design = design.loc[:, (design != 0).any(axis=0)]  # drop levels absent after exclusion
        y = np.nan_to_num(reached[usable])
        answered = (~np.isnan(reached[usable])).astype(float)
        self.levels_ = levels
        self.n_excluded_ = int((~usable).sum())
        if answered.sum() == 0:
            raise StatsInputError(
                "nobody with complete baseline covariates answered, so no weighted estimate is "
                "possible; show completeness only"
            )
        weights, n_truncated, model = self._weights(answered, design)
        self.response_model_ = model
        self.weights_ = pd.Series(weights, index=frame.index[usable], name="ipw_weight")
        estimate = self._estimate(y, weights)
        if self.ci_method == "sandwich":
            lower, upper = self._sandwich(y, weights)
        else:
            lower, upper = self._bootstrap(y, answered, design)
        resp = weights > 0
        ess = float(weights[resp].sum() ** 2 / np.sum(weights[resp] ** 2))
        full_weights = pd.Series(0.0, index=frame.index)
        full_weights.loc[self.weights_.index] = weights
        self.baseline_table_ = compare_responders(
            frame, self.covariates, ~np.isnan(reached), weights=full_weights.to_numpy()
        )
        self.result_ = IPWResult(
            complete_case=complete_case,
            estimate=estimate,
            lower=lower,
            upper=upper,
            confidence=self.confidence,
            ci_method=(
                "robust (HC0 sandwich) variance, weights treated as fixed; Wald interval"
                if self.ci_method == "sandwich"
                else f"percentile bootstrap, {self.n_bootstrap} resamples refitting the "
                f"response model, seed {self.seed}"
            ),
            n_eligible=int(reached.size),
            n_responders=int(answered.sum()),
            n_excluded_missing_covariates=self.n_excluded_,
            effective_sample_size=ess,
            weight_min=float(weights[resp].min()),
            weight_max=float(weights[resp].max()),
            truncation=self.truncate,
            n_truncated=n_truncated,
            explanation=self._explain(complete_case, estimate, lower, upper)
            + describe_pooling(self.pooled_),
        )
        return self

    def _explain(self, cc: Proportion, estimate: float, lower: float, upper: float) -> str:
        names = [self.labels.get(c, c.replace("_", " ")) for c in self.covariates]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return EXPLANATION.format(
            answered=cc.n_answering,
            eligible=cc.n_eligible,
            completeness=100.0 * cc.completeness,
            cc=100.0 * cc.proportion,
            ipw=100.0 * estimate,
            lo=100.0 * lower,
            hi=100.0 * upper,
            covariates=listed,
        )
