"""Outcome model: AUC as Mann–Whitney, calibration by logistic recalibration, Brier score,
bootstrap optimism, and the events-per-variable rule for showing the model."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fusiontrack.core.stats import OutcomeModel, auc_mann_whitney, brier_score, calibration

SEED = 20240601


def _registry(n=500, seed=SEED):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "odi": rng.normal(45, 15, n),
            "age": rng.normal(60, 10, n),
            "smoking": rng.choice(["never", "former", "current"], n, p=[0.55, 0.3, 0.15]),
        }
    )
    linear = (
        -0.2
        + 0.04 * (frame["odi"] - 45)
        - 0.02 * (frame["age"] - 60)
        - 0.6 * (frame["smoking"] == "current")
    )
    frame["mcid_12m"] = rng.random(n) < 1 / (1 + np.exp(-linear))
    return frame


def test_auc_against_hand_computed_concordance():
    """Two events (risks 0.9, 0.4) and three non-events (0.4, 0.2, 0.1): of 6 event/non-event
    pairs, 5 are concordant and 1 tied (counts ½), so AUC = 5.5/6 = 0.916667."""
    assert auc_mann_whitney([1, 1, 0, 0, 0], [0.9, 0.4, 0.4, 0.2, 0.1]) == pytest.approx(5.5 / 6)


def test_auc_against_mann_whitney_u_and_pairwise_definition():
    """AUC = U/(n₁n₀) from scipy's Mann–Whitney test, and equals the share of concordant
    event/non-event pairs counted one by one (ties ½)."""
    rng = np.random.default_rng(31)
    y = rng.random(200) < 0.4
    risk = np.round(rng.random(200) * 0.5 + 0.3 * y, 2)  # rounding creates ties
    u = stats.mannwhitneyu(risk[y], risk[~y]).statistic
    events, others = risk[y][:, None], risk[~y][None, :]
    pairwise = ((events > others) + 0.5 * (events == others)).mean()
    assert auc_mann_whitney(y, risk) == pytest.approx(u / (y.sum() * (~y).sum()), abs=1e-12)
    assert auc_mann_whitney(y, risk) == pytest.approx(pairwise, abs=1e-12)


def test_brier_score_against_hand_computation():
    """((0.8 − 1)² + (0.3 − 0)² + (0.6 − 1)²)/3 = (0.04 + 0.09 + 0.16)/3 = 0.096667."""
    assert brier_score([1, 0, 1], [0.8, 0.3, 0.6]) == pytest.approx(0.29 / 3)


def test_calibration_recovers_known_miscalibration():
    """Outcomes drawn from risk expit(lp); predictions expit(2·lp) are too extreme (slope ½),
    predictions expit(lp + 1) too high (intercept −1). Tolerance 0.06 at n = 20,000."""
    rng = np.random.default_rng(32)
    lp = rng.normal(0, 1, 20_000)
    y = rng.random(lp.size) < 1 / (1 + np.exp(-lp))
    _, slope = calibration(y, 1 / (1 + np.exp(-2 * lp)))
    intercept, _ = calibration(y, 1 / (1 + np.exp(-(lp + 1))))
    assert slope == pytest.approx(0.5, abs=0.06)
    assert intercept == pytest.approx(-1.0, abs=0.06)


def test_apparent_calibration_is_perfect_and_bootstrap_shows_optimism():
    """On its own development data a logistic model has calibration slope 1 and intercept 0
    (Steyerberg 2019); refitting on bootstrap resamples shows positive AUC optimism and a
    corrected slope below 1 (Harrell 1996)."""
    validation = (
        OutcomeModel(["odi", "age", "smoking"], n_bootstrap=25)
        .fit(_registry(), "mcid_12m")
        .validation_
    )
    assert validation.apparent.calibration_slope == pytest.approx(1.0, abs=1e-6)
    assert validation.apparent.calibration_intercept == pytest.approx(0.0, abs=1e-6)
    assert validation.optimism.auc > 0
    assert validation.corrected.auc < validation.apparent.auc
    assert validation.corrected.calibration_slope < 1.0
    assert validation.corrected.brier > validation.apparent.brier
    assert 0.6 < validation.apparent.auc < 0.9
    assert validation.n_bootstrap == 25 and validation.n_bootstrap_failed == 0


def test_bootstrap_is_reproducible_with_its_seed():
    registry = _registry(n=300)
    first = OutcomeModel(["odi", "age"], n_bootstrap=10, seed=5).fit(registry, "mcid_12m")
    second = OutcomeModel(["odi", "age"], n_bootstrap=10, seed=5).fit(registry, "mcid_12m")
    assert first.validation_.optimism == second.validation_.optimism


def test_model_is_shown_with_enough_events_per_variable():
    validation = (
        OutcomeModel(["odi", "age", "smoking"], n_bootstrap=0)
        .fit(_registry(), "mcid_12m")
        .validation_
    )
    assert validation.n_parameters == 4  # odi, age, two smoking indicators
    assert validation.events_per_variable == pytest.approx(
        min(validation.n_events, validation.n_non_events) / 4
    )
    assert validation.events_per_variable >= 10
    assert validation.shown and "meets the rule" in validation.reason
    assert "Peduzzi" in validation.rule


def test_model_is_hidden_below_ten_events_per_variable_with_the_reason():
    validation = (
        OutcomeModel(["odi", "age", "smoking"], n_bootstrap=5)
        .fit(_registry(n=60), "mcid_12m")
        .validation_
    )
    assert validation.events_per_variable < 10
    assert not validation.shown
    assert validation.reason.startswith(f"only {validation.events_per_variable:.1f} events")
    assert "not shown" in validation.reason


def test_a_model_that_cannot_be_fitted_is_hidden_not_raised():
    frame = _registry(n=200)
    frame["mcid_12m"] = frame["odi"] > 45  # the predictor separates the outcome perfectly
    model = OutcomeModel(["odi"], n_bootstrap=5).fit(frame, "mcid_12m")
    assert not model.validation_.shown
    assert "could not be fitted" in model.validation_.reason
    assert np.isnan(model.validation_.apparent.auc)


def test_predict_scores_new_patients_and_leaves_incomplete_ones_blank():
    model = OutcomeModel(["odi", "smoking"], n_bootstrap=0).fit(_registry(), "mcid_12m")
    new = pd.DataFrame({"odi": [70.0, 20.0, np.nan], "smoking": ["never", "current", "never"]})
    risk = model.predict(new)
    assert risk[0] > risk[1]
    assert np.isnan(risk[2])
    odds_ratios = {c.term: c.odds_ratio for c in model.validation_.coefficients}
    assert odds_ratios["odi"] > 1
