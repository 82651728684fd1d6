""" "Patients like you": the matching rule, the outcome distributions and the plain "too few"."""

import numpy as np
import pandas as pd
import pytest

from fusiontrack.core.stats import SimilarPatients, StatsInputError

SEED = 20240601
OUTCOMES = {
    "ODI at 3 months": "odi_3m",
    "ODI at 12 months": "odi_12m",
    "ODI at 24 months": "odi_24m",
}

# Maria, 58, degenerative spondylolisthesis at L4–L5, never smoked, ODI 52, BMI 28.
MARIA = {
    "diagnosis": "degenerative_spondylolisthesis",
    "levels": "L4-L5",
    "smoking": "never",
    "odi": 52.0,
    "age": 58.0,
    "bmi": 28.0,
}


def _registry(n=6000, seed=SEED):
    rng = np.random.default_rng(seed)
    odi = np.clip(rng.normal(48, 15, n), 0, 100)
    frame = pd.DataFrame(
        {
            "diagnosis": rng.choice(
                ["degenerative_spondylolisthesis", "spinal_stenosis", "isthmic_spondylolisthesis"],
                n,
                p=[0.5, 0.45, 0.05],
            ),
            "levels": rng.choice(["L4-L5", "L5-S1", "L4-S1"], n, p=[0.6, 0.3, 0.1]),
            "smoking": rng.choice(["never", "former", "current"], n, p=[0.6, 0.25, 0.15]),
            "odi": odi,
            "age": rng.normal(60, 11, n),
            "bmi": rng.normal(28, 5, n),
        }
    )
    frame["odi_3m"] = np.clip(odi - rng.normal(15, 12, n), 0, 100)
    frame["odi_12m"] = np.clip(odi - rng.normal(20, 14, n), 0, 100)
    frame["odi_24m"] = np.where(rng.random(n) < 0.08, np.clip(odi - 20, 0, 100), np.nan)
    frame["mcid_12m"] = pd.Series(frame["odi"] - frame["odi_12m"] >= 15, dtype="object")
    return frame


def test_every_match_follows_the_stated_rule():
    registry = _registry()
    finder = SimilarPatients().fit(registry)
    result = finder.query(MARIA, OUTCOMES)
    matched = registry.loc[list(result.matched_index)]
    assert result.n_matched == len(matched) >= 30
    assert (matched["diagnosis"] == MARIA["diagnosis"]).all()
    assert (matched["levels"] == "L4-L5").all() and (matched["smoking"] == "never").all()
    for column in ("odi", "age", "bmi"):
        z = (matched[column] - MARIA[column]) / registry[column].std()
        assert (z.abs() <= 0.5).all()
    distance = sum(
        ((matched[c] - MARIA[c]) / registry[c].std()) ** 2 for c in ("odi", "age", "bmi")
    )
    assert distance.is_monotonic_increasing
    assert "within 0.5 standard deviation" in result.rule
    assert not result.too_few


def test_distributions_are_the_quantiles_and_counts_of_the_matched_patients():
    registry = _registry()
    result = (
        SimilarPatients()
        .fit(registry)
        .query(MARIA, {"ODI at 12 months": "odi_12m"}, bins={"odi_12m": [0, 20, 40, 60, 80, 100]})
    )
    matched = registry.loc[list(result.matched_index), "odi_12m"]
    (twelve,) = result.outcomes
    assert twelve.n_with_outcome == len(matched)
    levels = (0.1, 0.25, 0.5, 0.75, 0.9)
    expected = dict(zip(levels, np.quantile(matched, levels), strict=True))
    assert dict(twelve.quantiles) == pytest.approx(expected)
    assert sum(twelve.bin_counts) == len(matched)
    assert twelve.mean == pytest.approx(matched.mean())


def test_yes_no_outcome_is_a_proportion_with_counts():
    result = SimilarPatients().fit(_registry()).query(MARIA, {"MCID at 12 months": "mcid_12m"})
    (mcid,) = result.outcomes
    assert mcid.proportion is not None
    assert mcid.proportion.n_answering == mcid.n_with_outcome == result.n_matched
    assert mcid.quantiles == ()


def test_too_few_similar_patients_says_so_plainly_and_shows_nothing():
    """Isthmic spondylolisthesis in a current smoker at L4–S1 is rare in this registry."""
    rare = {
        **MARIA,
        "diagnosis": "isthmic_spondylolisthesis",
        "levels": "L4-S1",
        "smoking": "current",
    }
    result = SimilarPatients(min_matches=30).fit(_registry()).query(rare, OUTCOMES)
    assert result.too_few
    assert result.n_matched < 30
    assert result.message.startswith(f"Only {result.n_matched} past patient")
    assert "too few" in result.message and "at least 30" in result.message
    assert "care team" in result.message
    assert all(o.too_few and o.quantiles == () and o.proportion is None for o in result.outcomes)


def test_a_time_point_with_too_few_answers_is_flagged_on_its_own():
    result = SimilarPatients(min_matches=30, caliper_sd=1.0).fit(_registry()).query(MARIA, OUTCOMES)
    by_label = {o.label: o for o in result.outcomes}
    assert not result.too_few
    assert not by_label["ODI at 12 months"].too_few
    twenty_four = by_label["ODI at 24 months"]
    assert twenty_four.n_with_outcome < 30 and twenty_four.too_few


def test_a_missing_continuous_value_is_left_out_of_the_match():
    registry = _registry()
    no_bmi = {**MARIA, "bmi": None}
    result = SimilarPatients().fit(registry).query(no_bmi, OUTCOMES)
    with_bmi = SimilarPatients().fit(registry).query(MARIA, OUTCOMES)
    assert "bmi" not in result.rule
    assert result.n_matched >= with_bmi.n_matched


def test_the_patient_is_not_matched_to_themself():
    registry = _registry()
    registry.loc[0, ["diagnosis", "levels", "smoking", "odi", "age", "bmi"]] = list(MARIA.values())
    result = SimilarPatients().fit(registry).query(MARIA, OUTCOMES, exclude=[0])
    assert 0 not in result.matched_index


def test_missing_diagnosis_is_refused_with_what_to_do():
    with pytest.raises(StatsInputError, match="diagnosis is not recorded"):
        SimilarPatients().fit(_registry(n=200)).query({**MARIA, "diagnosis": None}, OUTCOMES)
