"""The demo loader: the synthetic cohort in the registry, scored by the core, with the four demo
logins; loading twice adds nothing; production refuses it."""

from __future__ import annotations

import datetime as dt

import pytest

from fusiontrack import demo
from fusiontrack.registry.accounts import DEMO_PASSWORD, DEMO_USERNAMES
from fusiontrack.synthetic import generate_cohort

AS_OF = dt.date(2026, 11, 24)
PATIENTS = 60
SEED = 5


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Argon2 is deliberately slow; these tests check the logins, not the hasher."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Loaded once for the module (committed), flushed afterwards; each test still runs in
    its own transaction on top of it."""
    from django.core.management import call_command
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        report = demo.load_demo(patients=PATIENTS, seed=SEED, as_of=AS_OF)
        demo.ensure_demo_logins()
    yield report
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def test_the_demo_load_writes_every_table_of_the_cohort(loaded, db):
    from fusiontrack.registry import models as m

    cohort = generate_cohort(PATIENTS, seed=SEED, as_of=AS_OF)
    expected = {
        m.Site: cohort.sites,
        m.Patient: cohort.patients,
        m.Episode: cohort.episodes,
        m.StageEvent: cohort.stage_events,
        m.Diagnosis: cohort.diagnoses,
        m.ImagingStudy: cohort.imaging,
        m.ConservativeTreatment: cohort.conservative_care,
        m.SurgicalDecision: cohort.decisions,
        m.PreoperativeAssessment: cohort.preop,
        m.Operation: cohort.operations,
        m.HospitalStay: cohort.stays,
        m.Complication: cohort.complications,
        m.Reoperation: cohort.reoperations,
        m.FusionAssessment: cohort.fusion_assessments,
        m.ReturnToWork: cohort.return_to_work,
        m.FollowUp: cohort.visits,
        m.QuestionnaireResponse: cohort.responses,
    }
    for model, frame in expected.items():
        assert model.objects.count() == len(frame), model.__name__
    assert loaded.patients == PATIENTS
    assert loaded.responses == len(cohort.responses)
    assert m.Score.objects.count() == loaded.scores > loaded.responses
    assert m.ReferenceTrajectory.objects.filter(measure="odi", group="all").exists()


def test_loading_twice_adds_nothing(loaded, db):
    from fusiontrack.registry.models import Membership, Patient, QuestionnaireResponse

    counts = (Patient.objects.count(), QuestionnaireResponse.objects.count())
    memberships = Membership.objects.count()
    again = demo.load_demo(patients=PATIENTS, seed=SEED, as_of=AS_OF)
    demo.ensure_demo_logins()
    assert again.skipped
    assert (Patient.objects.count(), QuestionnaireResponse.objects.count()) == counts
    assert Membership.objects.count() == memberships


def test_records_added_after_the_load_get_fresh_keys(loaded, db):
    """The loader writes explicit keys; PostgreSQL sequences must have moved past them."""
    from fusiontrack.registry.models import Complication, Episode, Patient

    episode = Episode.objects.order_by("pk").first()
    patient = Patient.objects.create(
        site_id=episode.site_id,
        mrn="NEW-0001",
        given_name="Nova",
        family_name="Afterload",
        date_of_birth=dt.date(1970, 1, 1),
        sex="female",
    )
    assert patient.pk > PATIENTS
    complication = Complication.objects.create(
        episode=episode, occurred_on=AS_OF, category="other", clavien_dindo="I"
    )
    assert Complication.objects.filter(pk=complication.pk).count() == 1


def test_the_four_demo_logins_work_with_the_demo_password(loaded, db):
    from django.contrib.auth import authenticate

    from fusiontrack.registry.models import Membership

    for username in DEMO_USERNAMES:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    roles = {
        (m.user.username, m.site.code): m.role
        for m in Membership.objects.select_related("user", "site").filter(
            user__username__in=DEMO_USERNAMES
        )
    }
    assert roles == {
        ("admin", "north"): "admin",
        ("admin", "south"): "admin",
        ("surgeon", "north"): "surgeon",
        ("coordinator", "north"): "coordinator",
        ("researcher", "north"): "researcher",
        ("researcher", "south"): "researcher",
    }


def test_the_demo_surgeon_is_a_synthetic_surgeon_with_patients(loaded, db):
    from fusiontrack.registry.models import Episode

    assert Episode.objects.filter(surgeon__username="surgeon").count() > 5
    assert Episode.objects.filter(surgeon__username__startswith="dr_").exists()


def test_stored_scores_equal_the_core_score_of_the_stored_answers(loaded, db):
    from fusiontrack.core.instruments import score
    from fusiontrack.registry.models import QuestionnaireResponse, Score
    from fusiontrack.registry.services import _plain_scores

    for response in QuestionnaireResponse.objects.order_by("pk")[:40]:
        result = score(response.instrument_id, response.answers)
        assert response.scores == _plain_scores(result.scores), response.instrument_id
        assert response.complete == result.complete
        stored = dict(Score.objects.filter(response=response).values_list("measure", "value"))
        numeric = {
            k: float(v)
            for k, v in response.scores.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        assert stored == numeric


def test_follow_ups_point_at_their_responses(loaded, db):
    from fusiontrack.registry.models import FollowUp, QuestionnaireResponse

    linked = QuestionnaireResponse.objects.select_related("follow_up")[:200]
    for response in linked:
        assert response.follow_up.timepoint == response.timepoint
        assert response.follow_up.status == "completed"
        assert response.follow_up.completed_on == response.responded_on
    assert FollowUp.objects.filter(status="missed").exists()


def test_the_demo_surgeon_sees_the_worklist(loaded, db, client):
    client.login(username="surgeon", password=DEMO_PASSWORD)
    page = client.get("/worklist/")
    assert page.status_code == 200
    assert b"SYN000" in page.content


def test_production_refuses_the_demo_logins(db, settings):
    settings.FUSIONTRACK_ENV = "production"
    with pytest.raises(demo.DemoRefused, match="FUSIONTRACK_ENV=production"):
        demo.ensure_demo_logins()


def test_run_demo_without_serving_loads_and_prints_the_logins(
    db, settings, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("FUSIONTRACK_ENV", "development")  # run_demo only sets it when unset
    monkeypatch.delenv("PORT", raising=False)
    settings.STATIC_ROOT = tmp_path / "static"
    demo.run_demo(serve=False, patients=20, seed=SEED, as_of=AS_OF)
    out = capsys.readouterr().out
    assert "http://localhost:8000/" in out
    assert DEMO_PASSWORD in out
    for username in DEMO_USERNAMES:
        assert username in out
    assert (tmp_path / "static").is_dir()


def test_the_port_comes_from_the_argument_then_port_then_8000(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    assert demo.resolve_port(None) == 8000
    monkeypatch.setenv("PORT", "9123")
    assert demo.resolve_port(None) == 9123
    assert demo.resolve_port(7000) == 7000
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(demo.DemoRefused, match="PORT='eighty'"):
        demo.resolve_port(None)


def test_gunicorn_serves_the_wsgi_app_on_host_and_port():
    argv = demo.gunicorn_argv("127.0.0.1", 8123)
    assert argv[1:4] == ["-m", "gunicorn", "fusiontrack.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
