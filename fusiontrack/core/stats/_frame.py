"""Shared input handling: column checks, binary outcomes, design matrices and logistic fits.

Kept in one place so every estimator rejects bad input with the same clear messages and encodes
categorical covariates the same way (reference level = first level in sorted order).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
)

from fusiontrack.core.stats.errors import ModelFitError, StatsInputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Name of the intercept column in every design matrix.
INTERCEPT = "const"


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Fail with the list of missing columns, not a KeyError deep inside pandas."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StatsInputError(
            f"{what} needs the column(s) {', '.join(map(repr, missing))}, which the data does not "
            f"have (it has: {', '.join(map(str, frame.columns))}); add them or pass other names"
        )


def binary_outcome(values: Any, name: str) -> pd.Series:
    """Coerce a yes/no outcome to floats 1.0 / 0.0, keeping missing as NaN.

    Accepts booleans (also pandas' nullable boolean), 0/1 numbers and NaN/None/pd.NA.
    """
    series = pd.Series(values)
    as_float = pd.to_numeric(series.astype("object"), errors="coerce").astype(float)
    bad = series.notna() & ~as_float.isin([0.0, 1.0])
    if bad.any():
        examples = ", ".join(map(repr, series[bad].unique()[:3]))
        raise StatsInputError(
            f"the outcome {name!r} must be yes/no (True/False or 1/0, blank when unknown); "
            f"found {examples}"
        )
    return as_float


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def category_levels(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Levels of each categorical column, sorted so the reference level is deterministic."""
    levels: dict[str, tuple[str, ...]] = {}
    for column in columns:
        series = frame[column]
        if _is_categorical(series):
            levels[column] = tuple(sorted(series.dropna().astype(str).unique()))
    return levels


def level_indicators(series: pd.Series, levels: Sequence[str]) -> dict[str, FloatArray]:
    """0/1 indicator per level of a categorical column (blank stays blank, an unknown level is
    0 everywhere). One text conversion and one hash pass per column, then integer compares:
    comparing an object column with every level was most of a model fit's time."""
    missing = series.isna().to_numpy()
    text = series.astype("object").where(~missing, None)
    if not pd.api.types.is_string_dtype(series) or pd.api.types.is_bool_dtype(series):
        text = text.where(missing, series.astype(str))
    codes = pd.Categorical(text, categories=list(levels)).codes
    return {
        level: np.where(missing, np.nan, (codes == i).astype(float))
        for i, level in enumerate(levels)
    }


def design_matrix(
    frame: pd.DataFrame,
    columns: Sequence[str],
    levels: Mapping[str, tuple[str, ...]],
) -> pd.DataFrame:
    """Numeric design matrix with an intercept; categoricals as 0/1 indicators.

    `levels` (from `category_levels` on the fitting data) fixes the indicator columns, so a
    model fitted on the registry can score a new frame with the same columns. A level that the
    fitting data never had scores as the reference level.
    """
    parts: dict[str, pd.Series] = {INTERCEPT: pd.Series(1.0, index=frame.index)}
    for column in columns:
        series = frame[column]
        if column in levels:
            indicators = level_indicators(series, levels[column])
            for level in levels[column][1:]:
                parts[f"{column}[{level}]"] = pd.Series(indicators[level], index=frame.index)
        else:
            parts[column] = pd.to_numeric(series, errors="coerce").astype(float)
    return pd.DataFrame(parts, index=frame.index)


def fit_logit(y: FloatArray, design: pd.DataFrame, *, what: str) -> Any:
    """Fit a logistic regression with statsmodels; separation or non-convergence is an error.

    A fit that separates the outcome perfectly gives infinite odds ratios and useless
    probabilities, so it is refused rather than shown.
    """
    if np.unique(y).size < 2:
        raise ModelFitError(
            f"{what}: every patient has the same outcome, so no model can be fitted; "
            "wait for more data or pick another outcome"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", HessianInversionWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return sm.Logit(y, design.to_numpy(dtype=float)).fit(disp=0, maxiter=100)
        except (
            PerfectSeparationWarning,
            ConvergenceWarning,
            HessianInversionWarning,
            np.linalg.LinAlgError,
        ) as exc:
            raise ModelFitError(
                f"{what}: the logistic model could not be fitted ({type(exc).__name__}); "
                "usually a covariate predicts the outcome perfectly or a category is too rare; "
                "drop or merge that covariate"
            ) from exc


def logit_probabilities(params: FloatArray, design: pd.DataFrame) -> FloatArray:
    """Predicted probabilities from logistic coefficients and a design matrix."""
    linear = design.to_numpy(dtype=float) @ np.asarray(params, dtype=float)
    return np.asarray(1.0 / (1.0 + np.exp(-linear)), dtype=float)
