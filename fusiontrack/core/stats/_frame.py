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


def _as_text(series: pd.Series) -> pd.Series:
    """Category values as text (the form `category_levels` names them in); blanks stay."""
    return series.astype("object").where(series.isna(), series.astype(str))


#: Categories with fewer patients than this, or in which every patient has the same outcome,
#: are pooled before a logistic fit: such cells make the fit fail to converge (separation) or
#: give unstable coefficients. Harrell FE. Regression Modeling Strategies, 2nd ed. Springer
#: 2015, §4.1 ("pool infrequent categories") and §4.4 on separation. The number 10 is our
#: convention, not a published cut-off.
MIN_LEVEL_COUNT = 10
POOLED = "other (pooled)"


def pool_sparse_levels(
    frame: pd.DataFrame,
    columns: Sequence[str],
    outcome: FloatArray,
    *,
    min_count: int = MIN_LEVEL_COUNT,
) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """``frame`` with each categorical column's sparse levels merged (see `MIN_LEVEL_COUNT`),
    and per column the merged levels with the level each became (`apply_pooling` repeats it
    on new rows, e.g. a patient to predict for). Counted over rows with a known 0/1
    ``outcome`` (NaN = not used) and every column recorded. Sparse levels become `POOLED`; a
    pooled group that is itself sparse joins the column's most frequent level."""
    known = ~np.isnan(outcome) & frame[list(columns)].notna().all(axis=1).to_numpy()
    merged: dict[str, dict[str, str]] = {}
    for column in columns:
        series = frame[column]
        if not _is_categorical(series):
            continue
        text = _as_text(series)
        table = pd.crosstab(text[known], outcome[known])
        if table.empty:
            continue
        counts = table.sum(axis=1)
        single_outcome = (table > 0).sum(axis=1) < 2
        sparse = [str(v) for v in table.index[(counts < min_count) | single_outcome]]
        if not sparse:
            continue
        pooled_rows = table.loc[sparse]
        pooled_ok = pooled_rows.to_numpy().sum() >= min_count and (pooled_rows.sum() > 0).all()
        target = POOLED if pooled_ok and len(sparse) < len(table) else str(counts.idxmax())
        if target in sparse and target != POOLED:
            sparse.remove(target)
        if sparse:
            merged[column] = {level: target for level in sorted(sparse)}
    return apply_pooling(frame, merged), merged


def apply_pooling(frame: pd.DataFrame, merged: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """``frame`` with the levels `pool_sparse_levels` merged replaced the same way."""
    if not merged:
        return frame
    out = frame.copy()
    for column, mapping in merged.items():
        out[column] = _as_text(out[column]).replace(dict(mapping))
    return out


def describe_pooling(merged: Mapping[str, Mapping[str, str]]) -> str:
    """One sentence for a method note ("" when nothing was pooled)."""
    if not merged:
        return ""
    parts = "; ".join(
        f"{column}: {', '.join(sorted(mapping))} → {sorted(set(mapping.values()))[0]}"
        if len(set(mapping.values())) == 1
        else f"{column}: {', '.join(sorted(mapping))}"
        for column, mapping in merged.items()
    )
    return (
        f" Categories with fewer than {MIN_LEVEL_COUNT} patients or a single outcome were "
        f"pooled before fitting (Harrell 2015) — {parts}."
    )


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
