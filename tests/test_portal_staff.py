"""Staff: invitation states per patient, "Send questionnaire", revoke, and who may do it."""

from __future__ import annotations

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


def test_send_questionnaire_button_emails_the_patient(client_for, personas, anna):
    from fusiontrack.portal.models import Invitation

    anna.patient.email = "anna@example.org"
    anna.patient.save()
    sofia = client_for(personas.sofia)
    page = f"/p/staff/patients/{anna.patient.pk}/invitations/"
    response = sofia.post(
        f"/p/staff/episodes/{anna.episode.pk}/send/",
        {"timepoint": "24m", "channel": "auto", "next": page},
    )
    assert response.status_code == 302 and response["Location"] == page
    invitation = Invitation.objects.get()
    assert invitation.source == "staff" and invitation.created_by == personas.sofia
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.org"]
    listing = sofia.get(page).content.decode()
    assert 'data-state="sent"' in listing
    assert "Send questionnaire" in listing


def test_states_shown_to_staff(client_for, personas, anna):
    from django.utils import timezone

    from tests.portal_support import invite

    opened, _ = invite(anna.episode, "24m")
    opened.opened_at = timezone.now()
    opened.save()
    done, _ = invite(anna.episode, "6m")
    done.completed_at = timezone.now()
    done.save()
    page = (
        client_for(personas.sofia)
        .get(f"/p/staff/patients/{anna.patient.pk}/invitations/")
        .content.decode()
    )
    assert 'data-state="opened"' in page and 'data-state="completed"' in page


def test_revoke_stops_the_link(client_for, client, personas, anna):
    from tests.portal_support import invite

    invitation, token = invite(anna.episode)
    omar = client_for(personas.omar)
    response = omar.post(f"/p/staff/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    omar.logout()
    assert client.get(f"/p/{token}").status_code == 410


@pytest.mark.parametrize(
    ("persona", "status"),
    [("sofia", 302), ("omar", 302), ("pia", 302), ("kim", 404), ("rhea", 403)],
)
def test_who_may_send(client_for, personas, anna, persona, status):
    response = client_for(getattr(personas, persona)).post(
        f"/p/staff/episodes/{anna.episode.pk}/send/", {"timepoint": "24m", "channel": "auto"}
    )
    assert response.status_code == status


def test_anonymous_staff_urls_redirect_to_login(client, anna):
    response = client.get(f"/p/staff/patients/{anna.patient.pk}/invitations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_template_tag_renders_the_panel(rf, personas, anna):
    from django.template import Context, Template

    request = rf.get("/patients/1/")
    request.user = personas.sofia
    html = Template("{% load portal_staff %}{% portal_invitations patient episode %}").render(
        Context({"request": request, "patient": anna.patient, "episode": anna.episode})
    )
    assert "Online questionnaires" in html and "Send questionnaire" in html


def test_sending_an_answered_time_point_is_refused_with_a_message(client_for, personas, anna):
    """Anna answered her 12-month questionnaires: a new link would only say "we already have
    your answers", so no invitation is created and the staff read why (no stack trace)."""
    from fusiontrack.portal.models import Invitation

    sofia = client_for(personas.sofia)
    page = f"/p/staff/patients/{anna.patient.pk}/invitations/"
    response = sofia.post(
        f"/p/staff/episodes/{anna.episode.pk}/send/",
        {"timepoint": "12m", "channel": "auto", "next": page},
        follow=True,
    )
    assert response.status_code == 200
    assert "12m questionnaires of this episode were already answered" in response.content.decode()
    assert not Invitation.objects.exists()
