"""The dashboard on the synthetic cohort loaded by the demo loader: it recovers the generating
parameters (fusiontrack/synthetic/parameters.py) within stated tolerances, agrees exactly with
the generator's own tables, and its Kaplan–Meier numbers equal lifelines' on the same data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fusiontrack import demo
from fusiontrack.synthetic import generate_cohort
from fusiontrack.synthetic.parameters import value

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 24)
PATIENTS = 1500
SEED = 11


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Loaded once for the module (committed), flushed afterwards."""
    from django.core.management import call_command

    from fusiontrack.insight.snapshot import invalidate

    invalidate()
    with django_db_blocker.unblock():
        demo.load_demo(patients=PATIENTS, seed=SEED, as_of=AS_OF)
    yield generate_cohort(PATIENTS, seed=SEED, as_of=AS_OF)
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
    invalidate()


@pytest.fixture(scope="module")
def view(loaded, django_db_blocker):
    from fusiontrack.insight.filters import CohortFilter
    from fusiontrack.insight.service import compute
    from fusiontrack.registry.models import Site

    with django_db_blocker.unblock():
        sites = list(Site.objects.values_list("pk", flat=True))
        return compute(sites, CohortFilter(), as_of=AS_OF, deidentified=False)


def _row(frame, **match):
    for key, wanted in match.items():
        frame = frame[frame[key] == wanted]
    assert len(frame) == 1, frame
    return frame.iloc[0]


def test_operated_episodes_equal_the_generators_operations(loaded, view, db):
    operated = loaded.operations.drop_duplicates("episode_id")
    assert view.board.n_episodes == (operated["operation_date"] <= pd.Timestamp(AS_OF)).sum()


def test_diagnosis_mix_is_recovered_within_four_points(view, db):
    """Parameter diagnosis_mix (an assumption, SOURCE MISSING); tolerance ±0.04 ≈ 3 binomial SDs
    at ~1,300 operated patients (SD ≈ 0.013)."""
    table = view.board.tables["cohort"].frame
    diagnoses = table[table["variable"] == "Primary diagnosis"]
    n = diagnoses["n"].sum()
    labels = {
        "degenerative_spondylolisthesis": "Degenerative spondylolisthesis",
        "degenerative_disc_disease": "Degenerative disc disease",
    }
    for code, label in labels.items():
        share = _row(diagnoses, level=label)["n"] / n
        assert share == pytest.approx(value("diagnosis_mix")[code], abs=0.04), code


@pytest.mark.parametrize("timepoint", ["12m", "24m"])
def test_missed_follow_up_fraction_is_recovered(view, db, timepoint):
    """Parameter missed_by_timepoint (12 m 0.27, 24 m 0.31; Swespine ~25 % at one year, Parai
    2020): completeness over closed windows should be 1 − p ± 0.06 (binomial SD ≈ 0.02 at a
    few hundred eligible, widened for the per-patient random effect)."""
    done = _row(view.board.tables["completeness"].frame, timepoint=timepoint, site="all sites")
    assert done["n_eligible"] > 200
    assert done["n_answered"] / done["n_eligible"] == pytest.approx(
        1 - value("missed_by_timepoint")[timepoint], abs=0.06
    )


def test_mean_odi_change_at_24_months_is_recovered_against_parker_2011(view, db):
    """Parameter odi_change_24m_mean_sd = (−19.5, 11.3) (Parker 2011, J Neurosurg Spine
    14:598); the generator adds baseline and age/sex modifiers, so ±3 points."""
    change = _row(view.board.tables["changes"].frame, measure="odi", timepoint="24m")
    assert change["n"] > 200
    assert change["mean_change"] == pytest.approx(-19.5, abs=3.0)
    assert change["lower"] < change["mean_change"] < change["upper"]


def test_return_to_work_at_12_months_is_recovered_against_qod_2021(view, db):
    """Parameter return_to_work_by_12m = 0.82 (QOD 2021); ±0.06."""
    work = _row(view.board.tables["return_to_work"].frame, timepoint="12m")
    assert work["proportion"] == pytest.approx(value("return_to_work_by_12m"), abs=0.06)


def test_fusion_rate_at_12_months_is_plausible_and_counted(view, db):
    fusion = view.board.tables["fusion"].frame.iloc[0]
    assert fusion["n_assessed"] > 300
    assert 0.6 < fusion["proportion"] < 0.95


def test_kaplan_meier_against_lifelines_on_the_same_data(loaded, view, db):
    """Reoperation-free survival at 3, 12 and 24 months, recomputed directly with lifelines'
    KaplanMeierFitter from the generator's tables (durations in days / 30.4375)."""
    from lifelines import KaplanMeierFitter

    ops = loaded.operations.sort_values("operation_date").drop_duplicates("episode_id")
    ops = ops[ops["operation_date"] <= pd.Timestamp(AS_OF)].set_index("episode_id")
    first = loaded.reoperations.groupby("episode_id")["reoperation_date"].min()
    event = ops.index.map(first)
    end = pd.Series(event, index=ops.index).fillna(pd.Timestamp(AS_OF))
    observed = pd.Series(event, index=ops.index).notna().to_numpy()
    months = (end - ops["operation_date"]).dt.days.to_numpy(float) / 30.4375
    fitter = KaplanMeierFitter().fit(months, observed)
    table = view.board.tables["survival"].frame
    for t in (3.0, 12.0, 24.0):
        row = _row(table, curve="Reoperation-free", months=t)
        assert row["survival"] == pytest.approx(float(fitter.predict(t)), abs=1e-12)
        assert row["at_risk"] == int((months >= t).sum())
    assert np.isfinite(table["lower"]).all()


def test_benchmarking_ranks_units_with_enough_patients(view, db):
    bench = view.board.tables["benchmark-mcid_12m-surgeon"].frame
    assert len(bench) == 4  # four synthetic surgeons
    assert bench["rank"].notna().all()
    assert set(bench["funnel_position"]) <= {
        "within",
        "above 95 %",
        "below 95 %",
        "above 99.8 %",
        "below 99.8 %",
    }
    assert view.benchmark_sections[0][2]  # funnel SVGs drawn


def test_attrition_shows_responders_differ_and_an_ipw_estimate_beside_complete_case(view, db):
    """The generator makes smokers and younger patients miss more follow-ups (Kaur 2023,
    parameters missed_smoker_odds_ratio 1.62, missed_age_log_odds_per_decade −0.43): the
    responder table must show younger non-responders, and the IPW estimate sits beside the
    complete-case one with both counts."""
    ipw = _row(view.board.tables["attrition_ipw"].frame, timepoint="12m")
    assert ipw["n_answering"] < ipw["n_eligible"]
    assert 0 < ipw["ipw"] < 1
    assert ipw["ipw_lower"] < ipw["ipw"] < ipw["ipw_upper"]
    assert abs(ipw["ipw"] - ipw["complete_case"]) < 0.05
    responders = view.board.tables["attrition_baseline"].frame
    age = _row(responders, variable="age")
    assert age["responders"] > age["non_responders"]
    assert "inverse-probability weighting" in view.board.attrition_explanation


def test_the_dashboard_page_explains_the_weighting(loaded, client, db):
    from django.contrib.auth import get_user_model

    from fusiontrack.registry.models import Membership, Site

    user = get_user_model().objects.create_user("lead", password=None)
    for site in Site.objects.all():
        Membership.objects.create(user=user, site=site, role="surgeon")
    client.force_login(user)
    html = client.get("/cohort/").content.decode()
    assert html.count("<svg") >= 5
    assert "/cohort/attrition/" in html and "/cohort/benchmarking/" in html
    attrition = client.get("/cohort/attrition/").content.decode()
    assert "How to read the weighted estimate" in attrition
    assert "ODI MCID: complete-case vs inverse-probability-weighted" in attrition
    funnels = client.get("/cohort/benchmarking/").content.decode()
    assert funnels.count("<svg") == 4
    assert "99.8 % limits" in funnels


def test_patients_like_you_shows_distributions_and_a_validated_model(loaded, client, db):
    """Issue 5 §4 on the synthetic registry: a pre-operative patient is matched, ODI outcome
    distributions are shown with counts, and the 12-month MCID model passes the 10
    events-per-parameter rule (Peduzzi 1996) with its validation report."""
    from django.contrib.auth import get_user_model

    from fusiontrack.registry.models import AuditEvent, Episode, Membership, Score

    episode = (
        Episode.objects.filter(
            stage="preparation", diagnoses__diagnosis=("degenerative_spondylolisthesis")
        )
        .filter(
            pk__in=Score.objects.filter(measure="odi", timepoint="baseline").values("episode_id")
        )
        .select_related("site")
        .first()
    )
    assert episode is not None
    user = get_user_model().objects.create_user("doc", password=None)
    Membership.objects.create(user=user, site=episode.site, role="surgeon")
    client.force_login(user)
    response = client.get(f"/cohort/episodes/{episode.pk}/similar/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Matching rule: same diagnosis, levels, smoking" in html
    assert ("past patients in this registry were similar" in html) or ("too few" in html)
    assert "AUC (c-statistic)" in html, html[html.find("Logistic regression") :][:600]
    assert "Calibration slope" in html
    assert AuditEvent.objects.filter(
        object_type="patients_like_you", patient_id_ref=episode.patient_id
    ).exists()


def test_patients_like_you_says_plainly_when_too_few_match(loaded, db):
    from fusiontrack.insight.similar import similar_report
    from fusiontrack.registry.models import Episode

    episode = Episode.objects.filter(diagnoses__diagnosis="other").first()
    report = similar_report(episode, [episode.site_id], AS_OF)
    if report.result is not None and report.result.too_few:
        assert "too few to give a reliable picture" in report.result.message
        assert report.histograms == []
    else:
        assert report.error or report.result.n_matched >= 30


def test_researcher_benchmarking_uses_pseudonyms_not_surgeon_names(loaded, client, db):
    from django.contrib.auth import get_user_model

    from fusiontrack.registry.models import Episode, Membership, Site

    user = get_user_model().objects.create_user("res", password=None)
    for site in Site.objects.all():
        Membership.objects.create(user=user, site=site, role="researcher")
    client.force_login(user)
    pages = [
        client.get(f"/cohort/{kind}/").content.decode() for kind in ("benchmarking", "attrition")
    ]
    pages.append(client.get("/cohort/csv/benchmark-mcid_12m-surgeon.csv").content.decode())
    surgeons = get_user_model().objects.filter(pk__in=Episode.objects.values("surgeon_id"))
    assert surgeons.exists()
    for page in pages:
        assert "Surgeon A" in page or page is pages[1]
        for surgeon in surgeons:
            for secret in (surgeon.get_full_name(), surgeon.last_name):
                if secret:  # usernames like "surgeon" are ordinary words on these pages
                    assert secret not in page, secret
