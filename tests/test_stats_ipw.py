"""Inverse-probability weighting recovers a known proportion that complete cases get wrong;
the responder table's standardised differences match hand computation."""

import numpy as np
import pandas as pd
import pytest

from fusiontrack.core.stats import IPWProportion, StatsInputError, compare_responders

SEED = 20240601


def _cohort(n=4000, seed=SEED):
    """Synthetic cohort where patients with worse baseline ODI both improve more often and
    answer more often, and smokers do both less often (missing at random given baseline)."""
    rng = np.random.default_rng(seed)
    odi = rng.normal(45, 15, n)
    age = rng.normal(60, 10, n)
    smoker = rng.random(n) < 0.25
    reached = rng.random(n) < 1 / (1 + np.exp(-(-0.2 + 0.05 * (odi - 45) - 0.6 * smoker)))
    answered = rng.random(n) < 1 / (
        1 + np.exp(-(0.8 + 0.06 * (odi - 45) - 0.9 * smoker + 0.03 * (age - 60)))
    )
    frame = pd.DataFrame(
        {
            "odi": odi,
            "age": age,
            "smoking": np.where(smoker, "current", "never"),
            "mcid_12m": pd.Series(reached, dtype="object").where(answered, None),
        }
    )
    return frame, float(reached.mean())


def test_ipw_recovers_the_full_cohort_proportion_that_complete_cases_miss():
    """Tolerance 0.02 (≈ 2 standard errors at n = 4000); the complete-case share is off by more
    than 0.03 in this design, and the 95 % interval covers the truth."""
    frame, truth = _cohort()
    result = IPWProportion(["odi", "age", "smoking"]).fit(frame, "mcid_12m").result_
    assert abs(result.complete_case.proportion - truth) > 0.03
    assert result.estimate == pytest.approx(truth, abs=0.02)
    assert result.lower < truth < result.upper
    assert result.n_eligible == 4000
    assert result.n_responders == result.complete_case.n_answering


def test_bootstrap_interval_also_covers_the_truth_and_is_reproducible():
    frame, truth = _cohort(n=1500, seed=7)
    fit = IPWProportion(["odi", "smoking"], ci_method="bootstrap", n_bootstrap=40, seed=3)
    first = fit.fit(frame, "mcid_12m").result_
    again = IPWProportion(["odi", "smoking"], ci_method="bootstrap", n_bootstrap=40, seed=3)
    second = again.fit(frame, "mcid_12m").result_
    assert first.lower < truth < first.upper
    assert (first.lower, first.upper) == (second.lower, second.upper)
    assert "bootstrap" in first.ci_method


def test_weighting_balances_responders_with_everyone_eligible():
    frame, _ = _cohort()
    table = IPWProportion(["odi", "age", "smoking"]).fit(frame, "mcid_12m").baseline_table_
    odi = next(row for row in table if row.variable == "odi")
    assert abs(odi.smd) > 0.5  # responders had clearly worse baseline ODI
    assert abs(odi.weighted_smd) < 0.1  # the common 0.1 threshold for meaningful imbalance


def test_truncation_caps_weights_at_the_chosen_percentiles():
    frame, _ = _cohort()
    fitted = IPWProportion(["odi", "age", "smoking"], truncate=(0.05, 0.95)).fit(frame, "mcid_12m")
    weights = fitted.weights_[fitted.weights_ > 0]
    assert fitted.result_.n_truncated > 0
    assert weights.max() == fitted.result_.weight_max
    assert (weights == weights.max()).sum() >= 0.04 * len(weights)


def test_when_everyone_answered_weighted_equals_complete_case():
    frame, _ = _cohort(n=300)
    frame["mcid_12m"] = frame["mcid_12m"].map(lambda v: bool(v) if v is not None else False)
    result = IPWProportion(["odi"]).fit(frame, "mcid_12m").result_
    assert result.estimate == pytest.approx(result.complete_case.proportion)
    assert result.effective_sample_size == pytest.approx(300)


def test_explanation_states_the_numbers_and_the_assumption():
    frame, _ = _cohort(n=1000)
    result = (
        IPWProportion(["odi", "smoking"], labels={"odi": "disability score (ODI)"})
        .fit(frame, "mcid_12m")
        .result_
    )
    text = result.explanation
    assert f"{result.complete_case.n_answering} of 1000 eligible" in text
    assert "disability score (ODI) and smoking" in text
    assert f"{100 * result.estimate:.0f} %" in text
    assert "cannot be checked" in text


def test_standardised_differences_against_hand_computation():
    """Austin 2009 formulas by hand. Age: responders 50, 60, 70 (mean 60, SD 10), non-responders
    40, 50 (mean 45, SD √50): d = 15/√((100 + 50)/2) = 1.7321. Smoking "current": responders
    1/3, non-responders 1/2: d = (1/3 − 1/2)/√((2/9 + 1/4)/2) = −0.3430."""
    frame = pd.DataFrame(
        {
            "age": [50, 60, 70, 40, 50],
            "smoking": ["current", "never", "never", "current", "never"],
        }
    )
    rows = compare_responders(frame, ["age", "smoking"], [True, True, True, False, False])
    age = rows[0]
    assert (age.responders, age.non_responders) == (60.0, 45.0)
    assert age.smd == pytest.approx(15 / np.sqrt(75), abs=1e-12)
    assert age.smd == pytest.approx(1.7321, abs=1e-4)
    current = next(r for r in rows if r.level == "current")
    assert current.smd == pytest.approx(-0.3430, abs=1e-4)
    assert current.weighted_smd is None


def test_missing_covariates_are_excluded_and_counted():
    frame, _ = _cohort(n=500)
    frame.loc[:9, "age"] = np.nan
    result = IPWProportion(["odi", "age"]).fit(frame, "mcid_12m").result_
    assert result.n_excluded_missing_covariates == 10


def test_missing_covariate_column_is_named():
    frame, _ = _cohort(n=50)
    with pytest.raises(StatsInputError, match="'bmi'"):
        IPWProportion(["bmi"]).fit(frame, "mcid_12m")
