"""Risk-adjusted benchmarking: funnel limits against hand computation, O/E bookkeeping,
shrinkage of small units toward the registry rate, and no ranking below the minimum n."""

import numpy as np
import pandas as pd
import pytest

from fusiontrack.core.stats import RiskAdjustedBenchmark, StatsInputError, funnel_limits

SEED = 20240601


def _registry(sizes, effects, seed=SEED):
    """Synthetic registry: outcome depends on age and ASA class plus a per-surgeon effect."""
    rng = np.random.default_rng(seed)
    parts = []
    for surgeon, n in sizes.items():
        age = rng.normal(62, 10, n)
        asa = rng.choice(["I", "II", "III"], n, p=[0.3, 0.5, 0.2])
        linear = -0.4 + 0.03 * (age - 62) + 0.5 * (asa == "III") + effects.get(surgeon, 0.0)
        parts.append(
            pd.DataFrame(
                {
                    "surgeon": surgeon,
                    "age": age,
                    "asa": asa,
                    "complication": rng.random(n) < 1 / (1 + np.exp(-linear)),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_normal_funnel_limits_against_hand_computation():
    """target 0.30, n = 100: 95 % limits 0.30 ± 1.959964·√(0.21/100) = 0.210183 / 0.389817;
    99.8 % limits 0.30 ± 3.090232·√(0.21/100) = 0.158388 / 0.441612."""
    limits = funnel_limits(0.30, [100], method="normal")
    (low95,), (high95,) = limits.at(0.95)
    (low998,), (high998,) = limits.at(0.998)
    assert (low95, high95) == pytest.approx((0.210183, 0.389817), abs=1e-6)
    assert (low998, high998) == pytest.approx((0.158388, 0.441612), abs=1e-6)


def test_exact_funnel_limits_against_hand_computation():
    """Binomial(10, 0.5), Spiegelhalter 2005 interpolation. Upper 95 %: F(7) = 968/1024,
    F(8) = 1013/1024, so r = 8, α = (1013/1024 − 0.975)/(45/1024) = 0.324444, limit =
    (8 − α)/10 = 0.767556. Lower: F(1) = 11/1024, F(2) = 56/1024, r = 2,
    α = (56/1024 − 0.025)/(45/1024) = 0.675556, limit = (2 − α)/10 = 0.132444."""
    lower, upper = funnel_limits(0.5, [10], levels=[0.95]).at(0.95)
    assert upper[0] == pytest.approx(0.767556, abs=1e-6)
    assert lower[0] == pytest.approx(0.132444, abs=1e-6)


def test_exact_and_normal_limits_agree_for_large_units():
    (exact_low,), (exact_high,) = funnel_limits(0.2, [5000]).at(0.998)
    (normal_low,), (normal_high,) = funnel_limits(0.2, [5000], method="normal").at(0.998)
    assert (exact_low, exact_high) == pytest.approx((normal_low, normal_high), abs=2e-3)


def test_limits_narrow_as_n_grows():
    lower, upper = funnel_limits(0.25, [20, 50, 200, 1000]).at(0.95)
    widths = np.subtract(upper, lower)
    assert all(np.diff(widths) < 0)


def test_observed_over_expected_without_covariates_is_the_crude_ratio():
    """With no risk factors every patient's expected risk is the registry rate: unit A has
    3 of 10 (E = 10 × 0.4 = 4, O/E = 0.75), unit B 5 of 10 (E = 4, O/E = 1.25)."""
    frame = pd.DataFrame(
        {"unit": ["A"] * 10 + ["B"] * 10, "y": [1] * 3 + [0] * 7 + [1] * 5 + [0] * 5}
    )
    result = RiskAdjustedBenchmark([], higher_is_better=False, min_n=5).fit(frame, "y", "unit")
    a, b = result.result_.units
    assert (a.observed, a.expected, a.oe_ratio) == (3, pytest.approx(4.0), pytest.approx(0.75))
    assert (b.observed, b.expected, b.oe_ratio) == (5, pytest.approx(4.0), pytest.approx(1.25))
    assert a.risk_standardised_rate == pytest.approx(0.3)


def test_expected_events_add_up_to_observed_events_across_the_registry():
    """A logistic model with an intercept reproduces the total number of events."""
    frame = _registry({"s1": 200, "s2": 150, "s3": 90}, {"s3": 0.6})
    result = (
        RiskAdjustedBenchmark(["age", "asa"], higher_is_better=False)
        .fit(frame, "complication", "surgeon")
        .result_
    )
    assert sum(u.expected for u in result.units) == pytest.approx(
        sum(u.observed for u in result.units), rel=1e-6
    )


def test_reliability_adjustment_shrinks_small_units_most():
    """Dimick 2010: a unit's rate is pulled toward the registry rate in proportion to its
    unreliability, so a 6-patient unit moves almost all the way and a 600-patient one little."""
    frame = _registry(
        {"big": 600, "mid": 150, "s4": 120, "s5": 100, "tiny": 6}, {"mid": 0.8, "tiny": 1.5}
    )
    result = (
        RiskAdjustedBenchmark(["age", "asa"], higher_is_better=False)
        .fit(frame, "complication", "surgeon")
        .result_
    )
    units = {u.unit: u for u in result.units}
    assert result.between_unit_variance > 0
    assert units["tiny"].reliability < units["mid"].reliability < units["big"].reliability
    for unit in result.units:
        assert 0 <= unit.reliability <= 1
        assert (
            abs(unit.reliability_adjusted_rate - result.target)
            <= abs(unit.risk_standardised_rate - result.target) + 1e-12
        )
    tiny = units["tiny"]
    assert abs(tiny.reliability_adjusted_rate - result.target) < 0.5 * abs(
        tiny.risk_standardised_rate - result.target
    )


def test_units_below_the_minimum_are_shown_but_not_ranked():
    frame = _registry({"a": 120, "b": 80, "c": 60, "d": 19, "e": 5}, {"a": -0.5, "c": 0.5})
    result = (
        RiskAdjustedBenchmark(["age", "asa"], higher_is_better=False)
        .fit(frame, "complication", "surgeon")
        .result_
    )
    units = {u.unit: u for u in result.units}
    assert {name for name, u in units.items() if not u.ranked} == {"d", "e"}
    assert units["d"].rank is None and "fewer than 20 patients (19)" in units["d"].note
    ranked = sorted((u for u in result.units if u.ranked), key=lambda u: u.rank)
    assert [u.rank for u in ranked] == [1, 2, 3]
    rates = [u.reliability_adjusted_rate for u in ranked]
    assert rates == sorted(rates)  # complications: lower is better, rank 1 = lowest


def test_minimum_is_configurable():
    frame = _registry({"a": 120, "b": 30}, {})
    result = (
        RiskAdjustedBenchmark(["age"], higher_is_better=True, min_n=50)
        .fit(frame, "complication", "surgeon")
        .result_
    )
    assert [u.ranked for u in result.units] == [True, False]


def test_a_clearly_divergent_unit_falls_outside_the_outer_limit():
    frame = _registry({"usual": 800, "outlier": 400}, {"outlier": 1.6})
    result = (
        RiskAdjustedBenchmark(["age", "asa"], higher_is_better=False)
        .fit(frame, "complication", "surgeon")
        .result_
    )
    units = {u.unit: u for u in result.units}
    assert units["outlier"].funnel_position == "above 99.8 %"
    assert units["usual"].funnel_position.startswith("below")


def test_units_with_a_missing_outcome_are_left_out_and_counted():
    frame = _registry({"a": 50, "b": 50}, {})
    frame["complication"] = frame["complication"].astype("object")
    frame.loc[:4, "complication"] = None
    result = (
        RiskAdjustedBenchmark(["age"], higher_is_better=False)
        .fit(frame, "complication", "surgeon")
        .result_
    )
    assert result.n_excluded == 5 and result.n_patients == 95


def test_bad_funnel_target_is_refused():
    with pytest.raises(StatsInputError, match="between 0 and 1"):
        funnel_limits(1.2, [10])


def test_units_that_vary_less_than_chance_are_shrunk_fully_to_the_registry_rate():
    """DerSimonian-Laird tau² is truncated at 0 (statsmodels returns the raw negative moment
    estimate): two units with 13/57 and 14/53 events vary less than binomial noise, so each
    reliability is 0 and each adjusted rate is the registry rate, never above 100 %."""
    frame = pd.DataFrame(
        {
            "unit": ["north"] * 57 + ["south"] * 53,
            "y": [1.0] * 13 + [0.0] * 44 + [1.0] * 14 + [0.0] * 39,
        }
    )
    result = RiskAdjustedBenchmark([], higher_is_better=False).fit(frame, "y", "unit").result_
    assert result.between_unit_variance == 0.0
    for unit in result.units:
        assert unit.reliability == 0.0
        assert unit.reliability_adjusted_rate == pytest.approx(27 / 110)
