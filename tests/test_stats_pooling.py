"""Pooling sparse categories before logistic fits (fusiontrack.core.stats._frame): a category
with 3 patients who all reached the outcome separates the data, so the fit would not
converge; pooled, the risk-adjusted benchmark, the IPW response model and the outcome model
fit, say what they pooled, and score new patients the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusiontrack.core.stats import IPWProportion, OutcomeModel, RiskAdjustedBenchmark
from fusiontrack.core.stats._frame import POOLED, apply_pooling, pool_sparse_levels


def _registry(n: int = 240, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    diagnosis = rng.choice(["ddd", "spondylolisthesis", "stenosis"], n)
    diagnosis[:3] = "instability"  # three patients ...
    diagnosis[3:11] = "revision"  # ... and eight in another rare category
    age = rng.normal(60, 10, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.03 * (age - 60))))).astype(float)
    y[:3] = 1.0  # ... who all reached it: separation without pooling
    return pd.DataFrame(
        {
            "age": age,
            "diagnosis": diagnosis,
            "unit": rng.choice(["A", "B", "C"], n),
            "outcome": y,
        }
    )


def test_sparse_levels_are_pooled_and_common_ones_kept():
    frame = _registry()
    pooled, merged = pool_sparse_levels(frame, ["age", "diagnosis"], frame["outcome"].to_numpy())
    assert merged == {"diagnosis": {"instability": POOLED, "revision": POOLED}}
    assert (pooled["diagnosis"] == POOLED).sum() == 11
    assert set(pooled["diagnosis"]) == {"ddd", "spondylolisthesis", "stenosis", POOLED}
    assert pooled["age"].equals(frame["age"])  # numbers are never pooled


def test_a_pooled_group_still_too_small_joins_the_most_frequent_level():
    frame = _registry()
    frame.loc[3:10, "diagnosis"] = "ddd"  # only the three 'instability' patients are rare
    _, merged = pool_sparse_levels(frame, ["diagnosis"], frame["outcome"].to_numpy())
    most_frequent = frame["diagnosis"].value_counts().idxmax()
    assert merged == {"diagnosis": {"instability": most_frequent}}


def test_outcome_unknown_rows_do_not_count():
    frame = _registry()
    outcome = frame["outcome"].to_numpy().copy()
    outcome[frame["diagnosis"] == "stenosis"] = np.nan
    _, merged = pool_sparse_levels(frame, ["diagnosis"], outcome)
    assert "stenosis" not in merged.get("diagnosis", {})  # absent, not sparse


def test_benchmark_fits_and_says_what_it_pooled():
    fitted = RiskAdjustedBenchmark(["age", "diagnosis"], higher_is_better=True).fit(
        _registry(), "outcome", "unit"
    )
    result = fitted.result_
    assert result.n_patients == 240
    assert "pooled before fitting" in result.method
    assert "instability, revision" in result.method
    expected = sum(u.expected for u in result.units)
    observed = sum(u.observed for u in result.units)
    assert expected == np.float64(observed).item() or abs(expected - observed) < 1e-6


def test_ipw_fits_with_a_rare_category_among_non_responders():
    frame = _registry()
    frame.loc[:2, "outcome"] = np.nan  # the three rare patients never answered
    fitted = IPWProportion(["age", "diagnosis"]).fit(frame, "outcome")
    assert 0 < fitted.result_.estimate < 1
    assert "pooled before fitting" in fitted.result_.explanation


def test_outcome_model_scores_a_new_patient_with_a_pooled_category_as_the_pool():
    frame = _registry(n=600)
    model = OutcomeModel(["age", "diagnosis"], n_bootstrap=5, min_events_per_variable=1).fit(
        frame, "outcome"
    )
    pooled_as = model.pooled_["diagnosis"]["instability"]
    new = pd.DataFrame({"age": [60.0, 60.0], "diagnosis": ["instability", pooled_as]})
    risk = model.predict(new)
    assert risk[0] == risk[1]
    assert apply_pooling(new, model.pooled_)["diagnosis"].tolist() == [pooled_as, pooled_as]
