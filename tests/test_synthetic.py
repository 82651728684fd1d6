"""The synthetic cohort: deterministic, valid against the vocabularies and the instruments, and
faithful to its documented generating parameters (fusiontrack/synthetic/parameters.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from fusiontrack.core import schedule, vocab
from fusiontrack.core.instruments import score_batch
from fusiontrack.synthetic import PARAMETERS, generate_cohort
from fusiontrack.synthetic.parameters import SOURCE_MISSING, assumptions, value

AS_OF = date(2026, 11, 24)
AS_OF_TS = pd.Timestamp(AS_OF)


@pytest.fixture(scope="module")
def cohort():
    """Large enough for proportions to sit within a few points of their parameters."""
    return generate_cohort(4000, seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def scored(cohort):
    """Core scores of every response, joined to its episode and time point."""
    frames = []
    for instrument, answers in cohort.answers.items():
        scores = score_batch(instrument, answers)
        assert (scores["errors"] == "").all(), scores.loc[scores["errors"] != "", "errors"].head()
        frames.append(scores.drop(columns="errors").assign(instrument=instrument))
    responses = cohort.responses.set_index("response_id")[["episode_id", "timepoint"]]
    return {f["instrument"].iloc[0]: f.join(responses) for f in frames}


def _wide(scored_frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    return scored_frame.pivot_table(index="episode_id", columns="timepoint", values=measure)


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_and_date_give_an_identical_cohort():
    first = generate_cohort(300, seed=11, as_of=AS_OF)
    second = generate_cohort(300, seed=11, as_of=AS_OF)
    assert first.digest() == second.digest()
    pd.testing.assert_frame_equal(first.answers["odi"], second.answers["odi"])


def test_another_seed_gives_another_cohort():
    assert (
        generate_cohort(300, seed=11, as_of=AS_OF).digest()
        != generate_cohort(300, seed=12, as_of=AS_OF).digest()
    )


def test_a_tiny_cohort_still_generates():
    tiny = generate_cohort(1, n_sites=1, n_surgeons=1, seed=3, as_of=AS_OF)
    assert len(tiny.patients) == 1
    assert len(tiny.episodes) == 1


def test_impossible_sizes_are_refused_with_a_message():
    with pytest.raises(ValueError, match="one surgeon per site"):
        generate_cohort(10, n_sites=3, n_surgeons=2, as_of=AS_OF)


# --- shape and validity ------------------------------------------------------------------------


CODED = {
    ("patients", "sex"): vocab.SEX,
    ("episodes", "stage"): vocab.EPISODE_STAGES,
    ("stage_events", "stage"): vocab.EPISODE_STAGES,
    ("diagnoses", "diagnosis"): vocab.DIAGNOSES,
    ("diagnoses", "levels"): vocab.LEVELS,
    ("diagnoses", "pain_dominance"): vocab.PAIN_DOMINANCE,
    ("imaging", "modality"): vocab.IMAGING_MODALITIES,
    ("conservative_care", "treatment"): vocab.CONSERVATIVE_CARE_TYPES,
    ("conservative_care", "response"): vocab.TREATMENT_RESPONSE,
    ("preop", "asa_class"): vocab.ASA_CLASSES,
    ("preop", "smoking"): vocab.SMOKING_STATUS,
    ("operations", "levels"): vocab.LEVELS,
    ("operations", "approach"): vocab.APPROACHES,
    ("operations", "technique"): vocab.SURGICAL_TECHNIQUE,
    ("stays", "destination"): vocab.DISCHARGE_DESTINATIONS,
    ("complications", "category"): vocab.COMPLICATION_CATEGORIES,
    ("complications", "clavien_dindo"): vocab.CLAVIEN_DINDO_GRADES,
    ("complications", "reported_by"): vocab.REPORTERS,
    ("reoperations", "levels"): vocab.LEVELS,
    ("fusion_assessments", "modality"): vocab.FUSION_MODALITIES,
    ("fusion_assessments", "judgement"): vocab.FUSION_JUDGEMENTS,
    ("return_to_work", "work_status"): vocab.WORK_STATUS,
    ("visits", "timepoint"): vocab.TIMEPOINTS,
    ("responses", "timepoint"): vocab.TIMEPOINTS,
    ("responses", "entry_mode"): vocab.ENTRY_MODES,
}


@pytest.mark.parametrize(("table", "column"), sorted(CODED))
def test_every_code_is_a_vocabulary_code(cohort, table, column):
    allowed = set(vocab.codes(CODED[table, column])) | {""}
    used = set(getattr(cohort, table)[column].dropna().unique())
    assert used <= allowed, used - allowed


def test_grades_and_grafts_use_vocabulary_codes(cohort):
    meyerding = set(cohort.diagnoses["meyerding_grade"]) - {""}
    assert meyerding <= set(vocab.codes(vocab.MEYERDING_GRADES))
    bridwell = set(cohort.fusion_assessments["bridwell_grade"]) - {""}
    assert bridwell <= set(vocab.codes(vocab.BRIDWELL_GRADES))
    grafts = {code for row in cohort.operations["grafts"] for code in row}
    assert grafts <= set(vocab.codes(vocab.GRAFT_TYPES))
    cages = set(cohort.operations["cage_material"]) - {""}
    assert cages <= set(vocab.codes(vocab.CAGE_MATERIALS))


def test_meyerding_grade_only_for_spondylolisthesis(cohort):
    dx = cohort.diagnoses
    graded = dx[dx["meyerding_grade"] != ""]
    assert set(graded["diagnosis"]) == {
        "degenerative_spondylolisthesis",
        "isthmic_spondylolisthesis",
    }


def test_identities_are_obviously_fake(cohort):
    p = cohort.patients
    emails = p.loc[p["email"] != "", "email"]
    assert emails.str.endswith("@example.org").all()
    phones = p.loc[p["phone"] != "", "phone"]
    assert phones.str.fullmatch(r"\+44 7700 900\d{3}").all()
    assert p["mrn"].str.startswith("SYN").all()
    assert not p.duplicated(["site_id", "mrn"]).any()
    assert cohort.sites["name"].str.contains("(synthetic)", regex=False).all()


def test_nothing_happens_after_as_of(cohort):
    dated = {
        "stage_events": "entered_on",
        "imaging": "study_date",
        "operations": "operation_date",
        "complications": "occurred_on",
        "reoperations": "reoperation_date",
        "fusion_assessments": "assessment_date",
        "return_to_work": "recorded_on",
        "responses": "responded_on",
    }
    for table, column in dated.items():
        assert (getattr(cohort, table)[column].dropna() <= AS_OF_TS).all(), table


def test_the_path_runs_forward(cohort):
    ep = cohort.episodes.set_index("episode_id")
    ops = cohort.operations.set_index("episode_id")
    decisions = cohort.decisions.set_index("episode_id")
    joined = ops.join(decisions["decision_date"]).join(ep["opened_on"])
    assert (joined["decision_date"] < joined["operation_date"]).all()
    assert (joined["opened_on"] < joined["decision_date"]).all()
    # Only operated episodes have a surgery date; it is the operation's date.
    assert ep["surgery_date"].notna().sum() == len(ops)
    assert (ep.loc[ops.index, "surgery_date"] == ops["operation_date"]).all()
    events = cohort.stage_events
    assert (events.groupby("episode_id")["entered_on"].is_monotonic_increasing).all()
    last = events.groupby("episode_id")["stage"].last()
    assert (last == ep.loc[last.index, "stage"]).all()


def test_complications_and_reoperations_follow_their_operation(cohort):
    ops = cohort.operations.set_index("episode_id")["operation_date"]
    comp = cohort.complications.join(ops, on="episode_id")
    assert (comp["occurred_on"] >= comp["operation_date"]).all()
    assert (
        comp.loc[comp["intraoperative"], "category"].isin(["durotomy", "nerve_root_injury"]).all()
    )
    reop = cohort.reoperations.merge(
        cohort.complications[["complication_id", "occurred_on", "clavien_dindo"]],
        on="complication_id",
    )
    assert (reop["reoperation_date"] >= reop["occurred_on"]).all()
    assert (reop["clavien_dindo"] == "IIIb").all()


# --- questionnaires ----------------------------------------------------------------------------


def test_every_answer_is_valid_for_its_instrument(scored):
    assert set(scored) == {"odi", "nrs", "eq5d5l", "comi_back"}


def test_instruments_follow_the_documented_schedule(cohort):
    plan = value("instrument_schedule")
    asked = cohort.responses.groupby("timepoint")["instrument"].agg(set)
    for timepoint, instruments in asked.items():
        assert instruments == set(plan[timepoint]), timepoint


def test_responses_fall_in_the_core_schedule_windows(cohort):
    ep = cohort.episodes.set_index("episode_id")
    sample = cohort.responses.drop_duplicates("visit_id").sample(400, random_state=1)
    for row in sample.itertuples():
        surgery = ep.at[row.episode_id, "planned_surgery_date"].date()
        assigned = schedule.assign_timepoint(surgery, row.responded_on.date())
        assert assigned == row.timepoint, (row.episode_id, row.timepoint)


def test_visit_windows_are_the_core_schedule_windows(cohort):
    ep = cohort.episodes.set_index("episode_id")
    visits = cohort.visits.sample(200, random_state=2)
    for row in visits.itertuples():
        surgery = ep.at[row.episode_id, "planned_surgery_date"].date()
        window = schedule.DEFAULT_SCHEDULE.get(row.timepoint)
        assert window.due(surgery) == row.due_on.date()
        assert window.window(surgery) == (row.window_opens_on.date(), row.window_closes_on.date())


def test_odi_baseline_against_cited_cohorts(scored):
    """Baseline ODI 46 ± 15: between Spain 2022 (42.2 ± 16.4) and QOD 2021 (47.67 ± 14.95)."""
    baseline = _wide(scored["odi"], "odi")["baseline"].dropna()
    mean, sd = value("odi_baseline_mean_sd")
    assert baseline.mean() == pytest.approx(mean, abs=1.5)
    assert baseline.std() == pytest.approx(sd, abs=2.0)


def test_odi_change_at_24_months_against_parker_2011(scored):
    """Parker SL et al. J Neurosurg Spine 2011;14(5):598–604: 2-year ODI improvement
    19.5 ± 11.3 after TLIF for grade I degenerative spondylolisthesis."""
    wide = _wide(scored["odi"], "odi")
    change = (wide["24m"] - wide["baseline"]).dropna()
    assert len(change) > 300
    assert change.mean() == pytest.approx(-19.5, abs=2.0)
    assert change.std() == pytest.approx(11.3, abs=2.5)


def test_odi_improves_more_at_one_year_than_at_two_against_pearson_2010(scored):
    """SPORT DS (Pearson 2010): ODI change −25.9 at 1 year, −24.7 at 2 years (ratio 0.95);
    recovery is mostly done by 3 months (trajectory parameter, an assumption)."""
    wide = _wide(scored["odi"], "odi")
    means = {tp: (wide[tp] - wide["baseline"]).mean() for tp in ("3m", "6m", "12m", "24m")}
    assert means["3m"] > means["6m"] > means["12m"]
    assert means["24m"] > means["12m"]


def test_pain_change_at_24_months_against_parker_2011(scored):
    """Parker 2011: back pain improved 4.3 ± 2.9, leg pain 3.8 ± 3.4 (0–10) at 2 years."""
    back = _wide(scored["nrs"], "nrs_back")
    leg = _wide(scored["nrs"], "nrs_leg")
    assert (back["24m"] - back["baseline"]).mean() == pytest.approx(-4.3, abs=0.5)
    assert (leg["24m"] - leg["baseline"]).mean() == pytest.approx(-3.8, abs=0.5)


def test_baseline_pain_against_spain_2022(scored):
    """BMC Musculoskelet Disord 2022 (n = 486): NPRS back 6.6 ± 2.6, leg 6.2 ± 2.9."""
    nrs = scored["nrs"]
    baseline = nrs[nrs["timepoint"] == "baseline"]
    assert baseline["nrs_back"].astype(float).mean() == pytest.approx(6.6, abs=0.5)
    assert baseline["nrs_leg"].astype(float).mean() == pytest.approx(6.2, abs=0.5)


def test_health_state_and_comi_improve(scored):
    eq = _wide(scored["eq5d5l"], "eq5d5l_index")
    assert 0.3 < eq["baseline"].mean() < 0.7
    assert (eq["12m"] - eq["baseline"]).mean() > 0.1
    comi = _wide(scored["comi_back"], "comi")
    assert (comi["12m"] - comi["baseline"]).mean() < -2.2  # beyond the Mannion 2009 MCID


def test_about_a_quarter_of_follow_ups_are_missed_by_time_point(cohort):
    """Swespine has ~25 % non-respondents at one year (Parai et al. Eur Spine J 2020)."""
    visits = cohort.visits
    closed = visits[(visits["timepoint"] != "baseline") & (visits["window_closes_on"] < AS_OF_TS)]
    rate = closed.groupby("timepoint")["status"].apply(lambda s: (s == "missed").mean())
    for timepoint, target in value("missed_by_timepoint").items():
        assert rate[timepoint] == pytest.approx(target, abs=0.04), timepoint
    overall = value("missed_followup_fraction")
    assert (closed["status"] == "missed").mean() == pytest.approx(overall, abs=0.04)


def test_smokers_and_younger_patients_miss_more_follow_ups_against_kaur_2023(cohort):
    """NORspine non-respondents were younger (63 vs 68) and smoked more (30 % vs 21 %)."""
    visits = cohort.visits
    closed = visits[(visits["timepoint"] != "baseline") & (visits["window_closes_on"] < AS_OF_TS)]
    closed = closed.join(cohort.preop.set_index("episode_id")["smoking"], on="episode_id")
    missed = closed["status"] == "missed"
    smoker = closed["smoking"] == "current"
    odds = lambda m: m.mean() / (1 - m.mean())  # noqa: E731
    ratio = odds(missed[smoker]) / odds(missed[~smoker])
    assert ratio > 1.3
    ages = cohort.patients.set_index("patient_id")["date_of_birth"]
    born = closed["episode_id"].map(ages)
    assert born[missed].mean() > born[~missed].mean()  # missed visits: later birth dates


def test_missing_baselines_exist_for_the_worklist(cohort):
    baseline = cohort.visits[cohort.visits["timepoint"] == "baseline"]
    share = (baseline["status"] == "missed").mean()
    assert 0.02 < share < 0.08


# --- cohort composition against the parameters -------------------------------------------------


def test_diagnosis_mix_matches_its_parameter(cohort):
    primary = cohort.diagnoses[cohort.diagnoses["is_primary"]]
    observed = primary["diagnosis"].value_counts(normalize=True)
    for code, share in value("diagnosis_mix").items():
        assert observed.get(code, 0.0) == pytest.approx(share, abs=0.025), code


def test_sex_and_age_of_spondylolisthesis_against_pearson_2010(cohort):
    """SPORT DS: 69 % female, mean age 66.1 (Pearson et al. Spine 2010)."""
    primary = cohort.diagnoses[cohort.diagnoses["is_primary"]].set_index("episode_id")
    ds = primary.index[primary["diagnosis"] == "degenerative_spondylolisthesis"]
    patients = cohort.patients.set_index("patient_id").loc[ds]
    assert (patients["sex"] == "female").mean() == pytest.approx(0.69, abs=0.04)
    first = cohort.episodes.set_index("episode_id").loc[ds, "opened_on"]
    age = (first - patients["date_of_birth"]).dt.days / 365.25
    assert age.mean() == pytest.approx(66.1, abs=1.0)


def test_risk_factors_match_their_parameters(cohort):
    preop = cohort.preop
    assert (preop["smoking"] == "current").mean() == pytest.approx(0.18, abs=0.03)
    assert preop["bmi"].mean() == pytest.approx(28.7, abs=0.6)
    assert preop["diabetes"].mean() == pytest.approx(value("diabetes_fraction"), abs=0.03)
    assert preop["asa_class"].isin(["1", "2"]).mean() == pytest.approx(0.83, abs=0.03)
    assert preop.loc[preop["diabetes"], "hba1c_percent"].notna().all()


def test_operation_mix_against_its_sources(cohort):
    ops = cohort.operations
    primary = cohort.diagnoses[cohort.diagnoses["is_primary"]].set_index("episode_id")
    dx = ops["episode_id"].map(primary["diagnosis"])
    ds = ops[dx == "degenerative_spondylolisthesis"]
    # Bovonratwet 2019 (NSQIP): 41 % of fused DS without an interbody device.
    assert (ds["approach"] == "posterolateral").mean() == pytest.approx(0.41, abs=0.05)
    assert (ops.loc[ops["approach"].isin(["llif", "olif"]), "technique"] == "mis").all()
    assert (ops["interbody_cage"] == ops["approach"].ne("posterolateral")).all()
    mis = ops["technique"] == "mis"
    assert ops.loc[mis, "blood_loss_ml"].mean() < ops.loc[~mis, "blood_loss_ml"].mean()


def test_length_of_stay_against_the_open_vs_mis_comparison(cohort):
    """Open TLIF 5.0 ± 2.7 days, MI-TLIF 2.7 ± 1.1 days (single-surgeon comparison)."""
    stays = cohort.stays.merge(cohort.operations[["episode_id", "technique", "levels"]])
    stays = stays[stays["destination"] != "died"]
    los = stays.groupby("technique")["length_of_stay_days"].mean()
    assert float(los["open"]) == pytest.approx(5.0, abs=0.5)
    assert float(los["mis"]) == pytest.approx(2.7, abs=0.4)


def test_fusion_rate_at_two_years_against_phillips_2013(cohort):
    """Phillips et al. Spine 2013: radiographic fusion 89.1 % (systematic review)."""
    fa = cohort.fusion_assessments
    ops = cohort.operations.set_index("episode_id")["operation_date"]
    late = fa[fa["assessment_date"] - fa["episode_id"].map(ops) > pd.Timedelta(days=600)]
    assert (late["judgement"] == "fused").mean() == pytest.approx(0.891, abs=0.03)


def test_return_to_work_against_qod_2021(cohort):
    """QOD: 66 % back at work 3 months and 82 % at 12 months after fusion."""
    rtw = cohort.return_to_work.merge(cohort.operations[["episode_id", "operation_date"]])
    months = (rtw["recorded_on"] - rtw["operation_date"]).dt.days
    back = rtw["returned_on"].notna()
    assert back[months < 100].mean() == pytest.approx(0.66, abs=0.05)
    assert back[months > 300].mean() == pytest.approx(0.82, abs=0.05)


def test_complication_rates_match_their_parameters(cohort):
    n_ops = len(cohort.operations)
    by_category = cohort.complications["category"].value_counts() / n_ops
    assert by_category["durotomy"] == pytest.approx(value("durotomy_probability"), abs=0.015)
    assert by_category["readmission"] == pytest.approx(
        value("readmission_30d_probability"), abs=0.02
    )
    assert 0.15 < cohort.complications["episode_id"].nunique() / n_ops < 0.40


# --- parameters as data ------------------------------------------------------------------------


def test_every_parameter_names_its_source_or_says_it_has_none():
    for name, parameter in PARAMETERS.items():
        assert parameter.source, name
        if parameter.status == "ASSUMPTION":
            assert parameter.source == SOURCE_MISSING, name
        else:
            assert SOURCE_MISSING not in parameter.source or parameter.status == "SRC", name
    assert "diagnosis_mix" in assumptions()
    assert "odi_change_24m_mean_sd" not in assumptions()


def test_probability_tables_add_up():
    for name, parameter in PARAMETERS.items():
        table = parameter.value
        is_table = isinstance(table, dict) and all(isinstance(v, float) for v in table.values())
        if is_table and name.endswith(("_mix", "_fractions", "_destinations", "_response")):
            assert sum(table.values()) == pytest.approx(1.0, abs=1e-9), name


def test_latent_numbers_are_finite(cohort):
    for instrument, answers in cohort.answers.items():
        values = answers.to_numpy(dtype=float)
        assert np.isfinite(values[~np.isnan(values)]).all(), instrument
