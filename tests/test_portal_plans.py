"""Preparation and recovery plans: printable page, PDF, .ics, from the surgery date and the
site's protocol, worded "unless your care team tells you otherwise" (issue 4 §5, §6)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.portal_support import invite, open_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(personas, today):
    """Mia Lund, surgery planned in 20 days, takes apixaban and aspirin; desk job."""
    from fusiontrack.portal.models import PlanDetails
    from fusiontrack.registry import services
    from fusiontrack.registry.models import Episode, Patient

    patient = Patient.objects.create(
        site=personas.north,
        mrn="N-3001",
        given_name="Mia",
        family_name="Lund",
        date_of_birth=dt.date(1958, 2, 3),
        sex="female",
        email="mia@example.org",
    )
    episode = services.create_episode(
        None,
        Episode(
            patient=patient,
            title="L4–L5 PLIF",
            opened_on=today - dt.timedelta(days=60),
            planned_surgery_date=today + dt.timedelta(days=20),
            stage="preparation",
        ),
        role="surgeon",
        user=personas.sofia,
    )
    PlanDetails.objects.create(
        episode=episode,
        arrival_time=dt.time(7, 0),
        medications=["apixaban", "aspirin"],
        work_kind="sedentary",
    )
    return patient, episode


@pytest.fixture
def mia_client(client, planned):
    patient, episode = planned
    _, token = invite(episode, "baseline")
    open_link(client, token, patient.date_of_birth)
    return client


def test_preparation_page_has_hold_dates_and_the_care_team_wording(mia_client, planned, today):
    from fusiontrack.core.plans import DEFAULT_PROTOCOL, hold_dates

    surgery = today + dt.timedelta(days=20)
    page = mia_client.get("/p/plan/preparation/").content.decode()
    assert "unless your care team tells you otherwise" in page
    last_aspirin, _ = hold_dates(surgery, DEFAULT_PROTOCOL.medications["aspirin"].hold_days)
    assert f"{last_aspirin:%a} {last_aspirin.day} {last_aspirin:%B}" in page
    assert "Checklist" in page and "Eating and drinking before surgery" in page
    assert "style=" not in page and "<script" not in page


def test_recovery_page_lists_weeks_and_red_flags(mia_client):
    page = mia_client.get("/p/plan/recovery/").content.decode()
    assert "Week 1 after surgery" in page
    assert "loss of control of your bladder or bowels" in page
    assert "chest pain or shortness of breath" in page


def test_plan_pdf_is_rendered_by_weasyprint(mia_client):
    response = mia_client.get("/p/plan/preparation.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 5_000


def test_plan_calendar_has_the_hold_dates(mia_client, today):
    import icalendar

    response = mia_client.get("/p/plan/preparation.ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    summaries = [str(e.get("summary")) for e in calendar.walk("VEVENT")]
    assert "Last dose of apixaban before surgery" in summaries
    assert any(s.startswith("Surgery: arrive at") for s in summaries)
    recovery = icalendar.Calendar.from_ical(mia_client.get("/p/plan/recovery.ics").content)
    names = [str(e.get("summary")) for e in recovery.walk("VEVENT")]
    assert any(n.startswith("Questionnaire (6 weeks after your surgery)") for n in names)


def test_site_protocol_overrides_change_the_plan(mia_client, planned, today, personas):
    from fusiontrack.core.plans import hold_dates
    from fusiontrack.portal.models import SiteProtocol

    SiteProtocol.objects.create(
        site=personas.north, overrides={"medications": {"aspirin": {"hold_days": 5}}}
    )
    surgery = today + dt.timedelta(days=20)
    last, _ = hold_dates(surgery, 5)
    page = mia_client.get("/p/plan/preparation/").content.decode()
    assert f"Take your last dose of aspirin on {last:%a} {last.day} {last:%B}" in page


def test_invalid_site_protocol_is_refused_in_the_admin_form(personas):
    from fusiontrack.portal.forms import SiteProtocolForm

    form = SiteProtocolForm(
        data={
            "site": personas.north.pk,
            "overrides": '{"medications": {"aspirin": {"hold_days": -2}}}',
        }
    )
    assert not form.is_valid()
    assert "overrides" in form.errors


def test_no_surgery_date_yet_gives_a_clear_page(client, anna):
    anna.episode.surgery_date = None
    anna.episode.save()
    _, token = invite(anna.episode)
    open_link(client, token, dt.date(1961, 4, 12))
    page = client.get("/p/plan/preparation/").content.decode()
    assert "once your care team has set the date of surgery" in page


def test_staff_print_the_plan_and_outsiders_cannot(client_for, personas, planned):
    _, episode = planned
    sofia = client_for(personas.sofia)
    assert sofia.get(f"/p/staff/episodes/{episode.pk}/plan/recovery/").status_code == 200
    assert sofia.get(f"/p/staff/episodes/{episode.pk}/plan/recovery.pdf").status_code == 200
    sofia.logout()
    kim = client_for(personas.kim)
    assert kim.get(f"/p/staff/episodes/{episode.pk}/plan/recovery/").status_code == 404


def test_staff_edit_plan_details(client_for, personas, planned):
    from fusiontrack.portal.models import PlanDetails

    _, episode = planned
    omar = client_for(personas.omar)
    url = f"/p/staff/episodes/{episode.pk}/plan-details/"
    response = omar.post(
        url, {"arrival_time": "06:30", "medications": ["warfarin"], "work_kind": "heavy"}
    )
    assert response.status_code == 302
    details = PlanDetails.objects.get(episode=episode)
    assert details.medications == ["warfarin"] and details.arrival_time == dt.time(6, 30)


def test_preparation_plan_after_the_surgery_has_no_overdue_alarms(mia_client, planned, today):
    """A patient reading the preparation plan weeks after surgery is not told to 'call your care
    team today' about a pre-operative check; the page says the date has passed."""
    _, episode = planned
    type(episode).objects.filter(pk=episode.pk).update(
        planned_surgery_date=today - dt.timedelta(days=30),
        surgery_date=today - dt.timedelta(days=30),
    )
    page = mia_client.get("/p/plan/preparation/").content.decode()
    assert "call your care team today" not in page
    assert "Your surgery date has passed" in page
    assert 'class="overdue"' not in page
