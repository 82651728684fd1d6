"""Cohort statistics for the registry pages and reports (issue 5 §1–§4), Django-free.

Functions take pandas DataFrames / numpy arrays and return frozen result dataclasses; the
estimators follow the lifelines/scikit-learn shape (configure in `__init__`, `fit()` returns
self, fitted attributes end in `_`). Each module's docstring states its method and sources.

- `descriptive`: means (t interval), paired change from baseline, Wilson proportions carrying
  reaching / answering / eligible counts, grouped tables for the dashboard.
- `survival`: durations from dates with an explicit `as_of`, Kaplan–Meier (lifelines) read at
  chosen times with numbers at risk.
- `ipw`: inverse-probability-weighted proportion for non-response, responder vs non-responder
  baseline table with standardised differences, a plain-language explanation.
- `benchmark`: risk-adjusted O/E per surgeon/site, reliability adjustment, funnel limits,
  small units not ranked.
- `similar`: "patients like you" matching and outcome distributions, or a plain "too few".
- `model`: logistic outcome model with AUC, calibration, Brier, bootstrap optimism and a
  show/hide rule (events per variable).
"""

from __future__ import annotations

from fusiontrack.core.stats.benchmark import (
    BenchmarkResult,
    FunnelLimits,
    RiskAdjustedBenchmark,
    UnitBenchmark,
    funnel_limits,
)
from fusiontrack.core.stats.descriptive import (
    ChangeCI,
    MeanCI,
    Proportion,
    column_changes,
    column_means,
    group_changes,
    group_means,
    group_proportions,
    mean_ci,
    paired_change_ci,
    proportion_reaching,
    wilson_proportion,
)
from fusiontrack.core.stats.errors import ModelFitError, StatisticalCaveat, StatsInputError
from fusiontrack.core.stats.ipw import BaselineRow, IPWProportion, IPWResult, compare_responders
from fusiontrack.core.stats.model import (
    Coefficient,
    ModelValidation,
    OutcomeModel,
    Performance,
    auc_mann_whitney,
    brier_score,
    calibration,
)
from fusiontrack.core.stats.similar import (
    OutcomeDistribution,
    SimilarPatients,
    SimilarPatientsResult,
)
from fusiontrack.core.stats.survival import (
    DAYS_PER_MONTH,
    Durations,
    KaplanMeier,
    SurvivalPoint,
    SurvivalSummary,
    durations_from_dates,
)

__all__ = [
    "DAYS_PER_MONTH",
    "BaselineRow",
    "BenchmarkResult",
    "ChangeCI",
    "Coefficient",
    "Durations",
    "FunnelLimits",
    "IPWProportion",
    "IPWResult",
    "KaplanMeier",
    "MeanCI",
    "ModelFitError",
    "ModelValidation",
    "OutcomeDistribution",
    "OutcomeModel",
    "Performance",
    "Proportion",
    "RiskAdjustedBenchmark",
    "SimilarPatients",
    "SimilarPatientsResult",
    "StatisticalCaveat",
    "StatsInputError",
    "SurvivalPoint",
    "SurvivalSummary",
    "UnitBenchmark",
    "auc_mann_whitney",
    "brier_score",
    "calibration",
    "column_changes",
    "column_means",
    "compare_responders",
    "durations_from_dates",
    "funnel_limits",
    "group_changes",
    "group_means",
    "group_proportions",
    "mean_ci",
    "paired_change_ci",
    "proportion_reaching",
    "wilson_proportion",
]
