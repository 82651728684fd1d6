"""Staff UI views through the test client: worklist, patient page, forms, questionnaire entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fusiontrack.registry.models import (
    AuditEvent,
    Complication,
    Episode,
    FollowUp,
    Patient,
    QuestionnaireResponse,
)
from tests.conftest import build_patient, odi_answers

pytestmark = pytest.mark.django_db


def patient_url(record):
    return reverse("registry:patient_detail", args=[record.patient.pk])


def test_login_page_renders_and_anonymous_users_are_sent_to_it(client):
    response = client.get(reverse("registry:worklist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert b"Log in" in client.get(reverse("login")).content


def test_surgeon_sees_her_overdue_follow_up_on_the_worklist(personas, anna, client_for, today):
    FollowUp.objects.filter(episode=anna.episode, timepoint="24m").update(
        window_opens_on=today - dt.timedelta(days=20),
        due_on=today - dt.timedelta(days=3),
        window_closes_on=today + dt.timedelta(days=40),
    )
    response = client_for(personas.sofia).get(reverse("registry:worklist"))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [(r.patient.mrn, r.timepoint, r.display_status) for r in rows] == [
        ("N-1001", "24m", "overdue")
    ]
    assert b"Berg, Anna" in response.content


def test_worklist_never_shows_another_sites_patients(personas, anna, client_for, today):
    FollowUp.objects.filter(episode=anna.episode, timepoint="24m").update(
        window_opens_on=today - dt.timedelta(days=20),
        due_on=today,
        window_closes_on=today + dt.timedelta(days=40),
    )
    response = client_for(personas.kim).get(reverse("registry:worklist"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert b"N-1001" not in response.content


def test_worklist_lists_missing_baseline_and_stalled_episodes(personas, client_for, today):
    patient = Patient.objects.create(
        site=personas.north,
        mrn="N-2002",
        given_name="Bo",
        family_name="Dahl",
        date_of_birth=dt.date(1958, 2, 2),
        sex="male",
    )
    Episode.objects.create(
        patient=patient,
        site=personas.north,
        stage="preparation",
        opened_on=today,
        stage_entered_on=today - dt.timedelta(days=120),
    )
    client = client_for(personas.omar)
    baseline = client.get(reverse("registry:worklist") + "?tab=baseline")
    assert [e.patient.mrn for e in baseline.context["page"].object_list] == ["N-2002"]
    stalled = client.get(reverse("registry:worklist") + "?tab=stalled&stage=preparation")
    assert [e.patient.mrn for e in stalled.context["page"].object_list] == ["N-2002"]
    other = client.get(reverse("registry:worklist") + "?tab=stalled&stage=evaluation")
    assert list(other.context["page"].object_list) == []


def test_patient_page_shows_before_after_values_and_status_in_words(personas, anna, client_for):
    response = client_for(personas.sofia).get(patient_url(anna))
    assert response.status_code == 200
    odi = next(row for row, _ in response.context["panel"] if row.measure.id == "odi")
    assert odi.baseline == 46
    assert [(p.timepoint, p.value) for p in odi.points] == [("3m", 30.0), ("12m", 18.0)]
    assert odi.latest.value == 18
    assert odi.result.change == -28
    assert round(odi.result.percent_change, 1) == 60.9
    assert odi.result.category == "substantial_benefit"
    assert odi.status_class == "good"
    html = response.content.decode()
    assert "ODI went from 46 to 18" in html
    assert "Substantial benefit" in html
    assert 'class="trajectory"' in html and 'class="mcid-band"' in html


def test_patient_page_timeline_lists_events_and_next_steps(personas, anna, client_for):
    response = client_for(personas.sofia).get(patient_url(anna))
    labels = [e.label for e in response.context["journey"].events]
    assert labels[0] == "Stage: Evaluation"
    assert "Operation" in labels and "Diagnosis" in labels
    assert "Questionnaires: 12 months" in labels
    next_steps = [s.text for s in response.context["journey"].next_steps]
    assert any(s.startswith("Follow-up 24 months: due") for s in next_steps)


def test_viewing_a_patient_page_is_audited(personas, anna, client_for):
    client_for(personas.omar).get(patient_url(anna), HTTP_USER_AGENT="pytest-tablet")
    event = AuditEvent.objects.filter(action="read").latest("id")
    assert (event.username, event.role, event.object_type, event.patient_id_ref) == (
        "omar",
        "coordinator",
        "patient",
        anna.patient.pk,
    )
    assert event.user_agent == "pytest-tablet"
    assert event.ip_address == "127.0.0.1"


def test_surgeon_adds_a_complication_and_sees_it_on_the_timeline(personas, anna, client_for, today):
    client = client_for(personas.sofia)
    url = reverse("registry:record_create", args=[anna.episode.pk, "complication"])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "occurred_on": (today - dt.timedelta(days=380)).isoformat(),
            "category": "ssi_superficial",
            "clavien_dindo": "II",
            "reported_by": "clinician",
        },
    )
    assert response.status_code == 302
    complication = Complication.objects.get(episode=anna.episode)
    assert complication.get_category_display() == "Superficial surgical site infection"
    page = client.get(response.url)
    assert "Superficial surgical site infection — Clavien–Dindo II" in page.content.decode()
    assert AuditEvent.objects.filter(action="create", object_type="complication").exists()


def test_invalid_form_shows_clear_messages_and_saves_nothing(personas, anna, client_for, today):
    client = client_for(personas.sofia)
    url = reverse("registry:record_create", args=[anna.episode.pk, "complication"])
    response = client.post(
        url,
        {
            "occurred_on": today.isoformat(),
            "category": "other",
            "clavien_dindo": "I",
            "reported_by": "patient",
            "resolved_on": (today - dt.timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["resolved_on"] == ["Resolution is before the complication."]
    assert errors["description"] == ["Describe the complication."]
    assert Complication.objects.count() == 0


def test_operation_form_requires_a_cage_for_interbody_approaches(personas, anna, client_for, today):
    url = reverse("registry:record_create", args=[anna.episode.pk, "operation"])
    response = client_for(personas.sofia).post(
        url,
        {
            "operation_date": today.isoformat(),
            "levels": "L5-S1",
            "approach": "alif",
            "technique": "open",
        },
    )
    assert response.context["form"].errors["interbody_cage"] == [
        "An interbody fusion approach places a cage."
    ]


def test_edit_of_a_stale_record_shows_a_conflict(personas, anna, client_for, today):
    complication = Complication.objects.create(
        episode=anna.episode,
        occurred_on=today - dt.timedelta(days=390),
        category="durotomy",
        clavien_dindo="I",
        version=3,
    )
    url = reverse("registry:record_edit", args=["complication", complication.pk])
    response = client_for(personas.sofia).post(
        url,
        {
            "occurred_on": complication.occurred_on.isoformat(),
            "category": "durotomy",
            "clavien_dindo": "IIIb",
            "reported_by": "clinician",
            "version": "2",
        },
    )
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    assert Complication.objects.get(pk=complication.pk).clavien_dindo == "I"


def test_delete_asks_first_then_removes_and_audits(personas, anna, client_for, today):
    complication = Complication.objects.create(
        episode=anna.episode,
        occurred_on=today - dt.timedelta(days=390),
        category="durotomy",
        clavien_dindo="I",
    )
    client = client_for(personas.sofia)
    url = reverse("registry:record_delete", args=["complication", complication.pk])
    assert b"Delete this complication?" in client.get(url).content
    assert client.post(url).status_code == 302
    assert not Complication.objects.exists()
    event = AuditEvent.objects.get(action="delete")
    assert event.changes["category"] == ["durotomy", None]


def test_staff_enter_a_phone_questionnaire_scored_by_the_core(personas, anna, client_for, today):
    client = client_for(personas.omar)
    url = reverse("registry:response_create", args=[anna.episode.pk])
    assert b"Oswestry" in client.get(url).content
    form = client.get(url + "?instrument=odi")
    assert form.status_code == 200
    data = {
        "instrument": "odi",
        "timepoint": "24m",
        "responded_on": today.isoformat(),
        "entry_mode": "phone",
    }
    data.update({f"item_{k}": f"{float(v)}" for k, v in odi_answers(5).items()})
    response = client.post(url, data)
    assert response.status_code == 302
    saved = QuestionnaireResponse.objects.get(episode=anna.episode, timepoint="24m")
    assert (saved.scores["odi"], saved.entry_mode, saved.entered_by) == (10, "phone", personas.omar)
    assert FollowUp.objects.get(episode=anna.episode, timepoint="24m").status == "completed"


def test_bad_questionnaire_answer_is_a_form_error_not_a_crash(personas, anna, client_for, today):
    url = reverse("registry:response_create", args=[anna.episode.pk])
    response = client_for(personas.omar).post(
        url,
        {
            "instrument": "nrs",
            "timepoint": "24m",
            "responded_on": today.isoformat(),
            "entry_mode": "staff",
            "item_nrs_back": "14",
            "item_nrs_leg": "3",
        },
    )
    assert response.status_code == 200
    errors = response.context["items"].errors
    assert "item_nrs_back" in errors
    assert "14" in errors["item_nrs_back"][0]
    assert not QuestionnaireResponse.objects.filter(timepoint="24m").exists()


def test_staff_cannot_mark_their_entry_as_patient_entered(personas, anna, client_for, today):
    url = reverse("registry:response_create", args=[anna.episode.pk])
    response = client_for(personas.omar).post(
        url,
        {
            "instrument": "nrs",
            "timepoint": "24m",
            "responded_on": today.isoformat(),
            "entry_mode": "patient",
            "item_nrs_back": "2",
            "item_nrs_leg": "3",
        },
    )
    assert "entry_mode" in response.context["header"].errors


def test_create_patient_and_episode_then_change_stage(personas, client_for, today):
    client = client_for(personas.sofia)
    response = client.post(
        reverse("registry:patient_create") + f"?site={personas.north.pk}",
        {
            "site": personas.north.pk,
            "mrn": "N-3003",
            "given_name": "Carl",
            "family_name": "Ek",
            "date_of_birth": "1966-06-06",
            "sex": "male",
            "preferred_language": "en",
            "consent_registry": "on",
            "consent_registry_date": today.isoformat(),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    patient = Patient.objects.get(mrn="N-3003")
    assert patient.site == personas.north
    response = client.post(
        reverse("registry:episode_create", args=[patient.pk]),
        {
            "title": "L5–S1 ALIF",
            "opened_on": today.isoformat(),
            "surgeon": personas.sofia.pk,
        },
    )
    assert response.status_code == 302
    episode = Episode.objects.get(patient=patient)
    assert (episode.stage, episode.site_id) == ("evaluation", personas.north.pk)
    client.post(
        reverse("registry:stage_change", args=[episode.pk]),
        {
            "stage": "conservative_care",
            "entered_on": today.isoformat(),
        },
    )
    episode.refresh_from_db()
    assert episode.stage == "conservative_care"
    assert episode.stage_events.count() == 2


def test_duplicate_mrn_is_refused_with_a_message(personas, anna, client_for):
    response = client_for(personas.sofia).post(
        reverse("registry:patient_create"),
        {
            "site": personas.north.pk,
            "mrn": "N-1001",
            "given_name": "X",
            "family_name": "Y",
            "date_of_birth": "1970-01-01",
            "sex": "female",
            "preferred_language": "en",
        },
    )
    assert response.context["form"].errors["mrn"] == [
        "Another patient at this site already has this MRN."
    ]


def test_demo_mode_labels_the_data_synthetic(personas, anna, client_for, settings):
    settings.FUSIONTRACK_ENV = "demo"
    response = client_for(personas.sofia).get(patient_url(anna))
    assert b"Synthetic demo data" in response.content


def test_reference_trajectory_is_drawn_when_cached(personas, client_for, today):
    from fusiontrack.registry.services import refresh_reference_trajectories

    records = [
        build_patient(
            personas.north,
            personas.sofia,
            mrn=f"T-{i}",
            today=today,
            odi_series={"baseline": 20 + i, "3m": 14 + i, "12m": 10 + i},
        )
        for i in range(5)
    ]
    refresh_reference_trajectories(min_n=5)
    response = client_for(personas.sofia).get(patient_url(records[0]))
    html = response.content.decode()
    assert 'class="iqr-band"' in html and 'class="median-line"' in html
    assert "patients with degenerative spondylolisthesis" in html


def _all_instruments():
    from fusiontrack.core.instruments import INSTRUMENTS

    return sorted(INSTRUMENTS)


@pytest.mark.parametrize("instrument_id", _all_instruments())
def test_every_instrument_can_be_entered_by_staff(instrument_id, personas, anna, client_for, today):
    """The entry form is built from the definition; a fully answered form is scored and saved."""
    from fusiontrack.core.instruments import get_instrument

    instrument = get_instrument(instrument_id)
    client = client_for(personas.omar)
    url = reverse("registry:response_create", args=[anna.episode.pk])
    assert client.get(f"{url}?instrument={instrument_id}").status_code == 200
    data = {
        "instrument": instrument_id,
        "timepoint": "24m",
        "responded_on": today.isoformat(),
        "entry_mode": "staff",
    }
    for item in instrument.items:
        value = item.options[0].value if item.options else item.minimum
        data[f"item_{item.id}"] = str(value)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["items"].errors
    saved = QuestionnaireResponse.objects.get(instrument_id=instrument_id, timepoint="24m")
    assert saved.complete, saved.incomplete_reason
    assert saved.instrument_version == instrument.version
