"""Outcome model (e.g. 12-month ODI MCID) with an internal-validation report and a rule for
whether a page may show it.

Model: logistic regression on baseline predictors (statsmodels `Logit`), complete cases.

Validation (Steyerberg EW. Clinical Prediction Models: A Practical Approach to Development,
Validation, and Updating. 2nd ed. Springer 2019, doi:10.1007/978-3-030-16399-0; Harrell FE Jr,
Lee KL, Mark DB. Multivariable prognostic models: issues in developing models, evaluating
assumptions and adequacy, and measuring and reducing errors. Stat Med 1996;15(4):361–387):
- AUC (c-statistic) = Mann–Whitney U / (events × non-events), from scipy's `mannwhitneyu`;
- Brier score = mean squared difference between predicted risk and outcome;
- calibration slope = coefficient of the linear predictor in a logistic regression of the
  outcome on it; calibration intercept ("calibration-in-the-large") = intercept of a logistic
  regression with the linear predictor as offset. On the development data they are 1 and 0 by
  construction; the bootstrap shows how far they move on new patients;
- bootstrap optimism correction (Harrell 1996): refit the model on each bootstrap resample,
  optimism = mean(performance on the resample − performance of that model on the original
  data); corrected = apparent − optimism. Seeded for reproducibility.

Rule for showing the model: at least `min_events_per_variable` (default 10) events per
candidate predictor parameter, events being the less frequent outcome class (Peduzzi P,
Concato J, Kemper E, Holford TR, Feinstein AR. A simulation study of the number of events per
variable in logistic regression analysis. J Clin Epidemiol 1996;49(12):1373–1379), and a model
that could be fitted. Otherwise `shown` is False with the reason. The 10-EPV rule is a
minimum, not a guarantee (van Smeden M et al., BMC Med Res Methodol 2016,
doi:10.1186/s12874-016-0267-3, found weak support for it); the corrected calibration slope is
reported so a reader can judge overfitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Self

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

from fusiontrack.core.stats._frame import (
    FloatArray,
    apply_pooling,
    binary_outcome,
    category_levels,
    design_matrix,
    fit_logit,
    logit_probabilities,
    pool_sparse_levels,
    require_columns,
)
from fusiontrack.core.stats.errors import ModelFitError, StatsInputError

NAN = float("nan")


def auc_mann_whitney(y: Any, predicted: Any) -> float:
    """Area under the ROC curve = P(risk of a random event > risk of a random non-event),
    ties counting one half, computed as the Mann–Whitney U statistic / (n₁ n₀)."""
    outcome = np.asarray(y, dtype=float)
    score = np.asarray(predicted, dtype=float)
    events, others = score[outcome == 1.0], score[outcome == 0.0]
    if events.size == 0 or others.size == 0:
        return NAN
    u = sps.mannwhitneyu(events, others, alternative="two-sided", method="asymptotic").statistic
    return float(u) / float(events.size * others.size)


def brier_score(y: Any, predicted: Any) -> float:
    """Mean squared difference between predicted risk and the 0/1 outcome."""
    return float(np.mean((np.asarray(predicted, float) - np.asarray(y, float)) ** 2))


def calibration(y: Any, predicted: Any) -> tuple[float, float]:
    """(calibration intercept given slope 1, calibration slope) by logistic recalibration."""
    outcome = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(predicted, dtype=float), 1e-12, 1 - 1e-12)
    lp = np.log(p / (1 - p))
    binomial = sm.families.Binomial()
    slope = sm.GLM(outcome, sm.add_constant(lp, has_constant="add"), family=binomial).fit()
    in_the_large = sm.GLM(outcome, np.ones_like(lp), family=binomial, offset=lp).fit()
    return float(np.asarray(in_the_large.params)[0]), float(np.asarray(slope.params)[1])


@dataclass(frozen=True)
class Performance:
    """Discrimination and calibration of predicted risks against outcomes."""

    auc: float
    brier: float
    calibration_intercept: float
    calibration_slope: float

    @classmethod
    def of(cls, y: FloatArray, predicted: FloatArray) -> Performance:
        intercept, slope = calibration(y, predicted)
        return cls(auc_mann_whitney(y, predicted), brier_score(y, predicted), intercept, slope)

    @classmethod
    def missing(cls) -> Performance:
        return cls(NAN, NAN, NAN, NAN)

    def minus(self, other: Performance) -> Performance:
        return Performance(
            self.auc - other.auc,
            self.brier - other.brier,
            self.calibration_intercept - other.calibration_intercept,
            self.calibration_slope - other.calibration_slope,
        )


@dataclass(frozen=True)
class Coefficient:
    """One model term as an odds ratio with its Wald confidence interval."""

    term: str
    odds_ratio: float
    lower: float
    upper: float


@dataclass(frozen=True)
class ModelValidation:
    """Apparent, optimism and optimism-corrected performance, and whether to show the model."""

    outcome: str
    n: int
    n_excluded: int
    n_events: int
    n_non_events: int
    n_parameters: int
    events_per_variable: float
    apparent: Performance
    optimism: Performance
    corrected: Performance
    n_bootstrap: int
    n_bootstrap_failed: int
    seed: int
    coefficients: tuple[Coefficient, ...]
    shown: bool
    reason: str
    rule: str


class OutcomeModel:
    """Logistic outcome model with bootstrap internal validation.

    >>> model = OutcomeModel(["odi", "age", "smoking"]).fit(registry, "mcid_12m")
    >>> model.validation_.shown, model.validation_.corrected.auc
    """

    def __init__(
        self,
        predictors: Sequence[str],
        *,
        n_bootstrap: int = 200,
        seed: int = 20_240_601,
        min_events_per_variable: float = 10.0,
        confidence: float = 0.95,
    ) -> None:
        if not predictors:
            raise StatsInputError("OutcomeModel needs at least one predictor")
        if n_bootstrap < 0:
            raise StatsInputError(f"n_bootstrap must be 0 or more, got {n_bootstrap!r}")
        self.predictors = tuple(predictors)
        self.n_bootstrap = n_bootstrap
        self.seed = seed
        self.min_events_per_variable = min_events_per_variable
        self.confidence = confidence

    @property
    def rule(self) -> str:
        return (
            f"shown only with at least {self.min_events_per_variable:g} events per predictor "
            "parameter (events = the less frequent outcome; Peduzzi et al. 1996)"
        )

    def fit(self, frame: pd.DataFrame, outcome: str) -> Self:
        """Fit on patients with the outcome and all predictors recorded, then validate."""
        require_columns(frame, [outcome, *self.predictors], "OutcomeModel")
        y_all = binary_outcome(frame[outcome].to_numpy(), outcome).to_numpy()
        frame, self.pooled_ = pool_sparse_levels(frame, self.predictors, y_all)
        self.levels_ = category_levels(frame, self.predictors)
        design = design_matrix(frame, self.predictors, self.levels_)
        usable = ~np.isnan(y_all) & design.notna().all(axis=1).to_numpy()
        design = design.loc[usable]
        design = design.loc[:, (design != 0).any(axis=0)]
        self.columns_ = tuple(design.columns)
        y = y_all[usable]
        n_events, n_non = int((y == 1).sum()), int((y == 0).sum())
        n_parameters = len(self.columns_) - 1
        epv = min(n_events, n_non) / n_parameters if n_parameters else NAN
        missing = Performance.missing()
        base = ModelValidation(
            outcome=outcome,
            n=int(y.size),
            n_excluded=int((~usable).sum()),
            n_events=n_events,
            n_non_events=n_non,
            n_parameters=n_parameters,
            events_per_variable=float(epv),
            apparent=missing,
            optimism=missing,
            corrected=missing,
            n_bootstrap=0,
            n_bootstrap_failed=0,
            seed=self.seed,
            coefficients=(),
            shown=False,
            reason="",
            rule=self.rule,
        )
        try:
            self.model_ = fit_logit(y, design, what="outcome model")
        except ModelFitError as exc:
            self.model_ = None
            self.validation_ = replace(base, reason=str(exc))
            return self
        apparent = Performance.of(y, self._predict_design(design))
        optimism, failed = self._optimism(y, design)
        shown = bool(np.isfinite(epv) and epv >= self.min_events_per_variable)
        reason = (
            f"{epv:.1f} events per predictor parameter ({min(n_events, n_non)} events, "
            f"{n_parameters} parameters) meets the rule"
            if shown
            else f"only {epv:.1f} events per predictor parameter ({min(n_events, n_non)} events, "
            f"{n_parameters} parameters); the rule needs {self.min_events_per_variable:g}, so "
            "the model is not shown until the registry has more outcomes"
        )
        self.validation_ = replace(
            base,
            apparent=apparent,
            optimism=optimism,
            corrected=apparent.minus(optimism),
            n_bootstrap=self.n_bootstrap,
            n_bootstrap_failed=failed,
            coefficients=self._coefficients(),
            shown=shown,
            reason=reason,
        )
        return self

    def _predict_design(self, design: pd.DataFrame) -> FloatArray:
        return logit_probabilities(np.asarray(self.model_.params), design)

    def predict(self, frame: pd.DataFrame) -> FloatArray:
        """Predicted risk for each row of `frame` (NaN where a predictor is missing)."""
        if self.model_ is None:
            raise ModelFitError(f"the model was not fitted: {self.validation_.reason}")
        require_columns(frame, self.predictors, "OutcomeModel.predict")
        frame = apply_pooling(frame, self.pooled_)
        design = design_matrix(frame, self.predictors, self.levels_)
        design = design.reindex(columns=list(self.columns_), fill_value=0.0)
        return logit_probabilities(np.asarray(self.model_.params), design)

    def _optimism(self, y: FloatArray, design: pd.DataFrame) -> tuple[Performance, int]:
        rng = np.random.default_rng(self.seed)
        differences: list[Performance] = []
        failed = 0
        for _ in range(self.n_bootstrap):
            idx = rng.integers(0, y.size, y.size)
            boot_design = design.iloc[idx]
            try:
                fit = fit_logit(y[idx], boot_design, what="bootstrap refit")
            except ModelFitError:
                failed += 1
                continue
            params = np.asarray(fit.params)
            on_boot = Performance.of(y[idx], logit_probabilities(params, boot_design))
            on_original = Performance.of(y, logit_probabilities(params, design))
            differences.append(on_boot.minus(on_original))
        if not differences:
            return Performance.missing(), failed
        return (
            Performance(
                float(np.mean([d.auc for d in differences])),
                float(np.mean([d.brier for d in differences])),
                float(np.mean([d.calibration_intercept for d in differences])),
                float(np.mean([d.calibration_slope for d in differences])),
            ),
            failed,
        )

    def _coefficients(self) -> tuple[Coefficient, ...]:
        params = np.asarray(self.model_.params)
        bounds = np.asarray(self.model_.conf_int(alpha=1.0 - self.confidence))
        return tuple(
            Coefficient(name, float(np.exp(b)), float(np.exp(lo)), float(np.exp(hi)))
            for name, b, (lo, hi) in zip(self.columns_, params, bounds, strict=True)
        )
