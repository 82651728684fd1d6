"""Invitation links: unguessable tokens stored only hashed, exchanged for a session, friendly
pages for closed links, and the date-of-birth lock (issue 4 §1)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from click.testing import CliRunner
from django.core.management import call_command
from django.utils import timezone

from tests.portal_support import invite, open_link

pytestmark = pytest.mark.django_db

DOB = dt.date(1961, 4, 12)  # Anna Berg's date of birth (tests/conftest.py)


def test_token_has_at_least_128_bits_and_only_its_hash_is_stored(anna):
    from fusiontrack.portal.models import InvitationToken
    from fusiontrack.portal.tokens import TOKEN_BYTES, hash_token

    invitation, token = invite(anna.episode)
    assert TOKEN_BYTES * 8 >= 128
    assert len(token) >= 43  # 32 random bytes, base64url
    stored = InvitationToken.objects.get(invitation=invitation)
    assert stored.token_hash == hash_token(token) != token
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert token not in dump.getvalue()


def test_opening_the_link_sets_a_session_and_drops_the_token_from_the_url(client, anna):
    invitation, token = invite(anna.episode)
    response = client.get(f"/p/{token}")
    assert response.status_code == 302
    assert response["Location"] == "/p/"
    assert token not in response["Location"]
    cookie = response.cookies["fusiontrack_portal"]
    assert cookie["httponly"] and cookie["path"] == "/p/" and cookie.value != token
    assert response["Referrer-Policy"] == "no-referrer"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    invitation.refresh_from_db()
    assert invitation.opened_at is not None
    # Before the date-of-birth check nothing about the patient is shown.
    page = client.get("/p/", follow=True)
    assert page.redirect_chain[-1][0] == "/p/verify/"
    assert "Anna" not in page.content.decode()


def test_right_date_of_birth_opens_the_questionnaire(client, anna):
    _, token = invite(anna.episode)
    response = open_link(client, token, DOB)
    assert response.status_code == 302 and response["Location"] == "/p/"
    page = client.get("/p/")
    assert "Hello Anna" in page.content.decode()
    assert page["Cache-Control"] == "no-store"


def test_five_wrong_dates_of_birth_lock_the_link(client, anna):
    invitation, token = invite(anna.episode)
    client.get(f"/p/{token}")
    for attempt in range(1, 5):
        page = client.post("/p/verify/", {"day": 1, "month": 1, "year": 1970})
        assert f"Tries left: {5 - attempt}." in page.content.decode()
    locked = client.post("/p/verify/", {"day": 1, "month": 1, "year": 1970})
    assert locked.status_code == 403
    assert "This link is locked" in locked.content.decode()
    invitation.refresh_from_db()
    assert invitation.locked_at is not None and invitation.dob_failures == 5
    # The right date no longer helps, and the link itself now shows the locked page.
    client.post("/p/verify/", {"day": DOB.day, "month": DOB.month, "year": DOB.year})
    again = client.get(f"/p/{token}")
    assert again.status_code == 403 and "This link is locked" in again.content.decode()


def test_impossible_date_gets_a_plain_message_and_does_not_count(client, anna):
    invitation, token = invite(anna.episode)
    client.get(f"/p/{token}")
    page = client.post("/p/verify/", {"day": 31, "month": 2, "year": 1961})
    assert "That date does not exist" in page.content.decode()
    page = client.post("/p/verify/", {"day": "x", "month": 2, "year": 1961})
    assert "The day must be a number" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.dob_failures == 0


@pytest.mark.parametrize(
    ("close", "status", "text"),
    [
        ("expired", 410, "This link has expired"),
        ("revoked", 410, "This link has been replaced"),
        ("completed", 410, "we already have your answers"),
    ],
)
def test_closed_links_get_a_friendly_page(client, anna, close, status, text):
    invitation, token = invite(anna.episode)
    now = timezone.now()
    field = {"expired": "expires_at", "revoked": "revoked_at", "completed": "completed_at"}[close]
    setattr(invitation, field, now - dt.timedelta(minutes=1))
    invitation.save()
    response = client.get(f"/p/{token}")
    assert response.status_code == status
    assert text in response.content.decode()
    assert "fusiontrack_portal" not in response.cookies


def test_unknown_token_gets_a_friendly_404(client, personas):
    response = client.get("/p/" + "A" * 43)
    assert response.status_code == 404
    assert "We could not find this link" in response.content.decode()


def test_a_new_invitation_revokes_the_previous_link(client, anna):
    first, old_token = invite(anna.episode)
    second, new_token = invite(anna.episode)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert client.get(f"/p/{old_token}").status_code == 410
    assert client.get(f"/p/{new_token}").status_code == 302


def test_session_is_short_lived(client, anna, settings):
    from fusiontrack.portal.models import PortalSession

    _, token = invite(anna.episode)
    open_link(client, token, DOB)
    PortalSession.objects.update(last_seen_at=timezone.now() - dt.timedelta(minutes=31))
    page = client.get("/p/")
    assert page.status_code == 403
    assert "Please open your link again" in page.content.decode()


def test_every_state_change_is_audited(client, anna):
    from fusiontrack.registry.models import AuditEvent

    invitation, token = invite(anna.episode)
    open_link(client, token, DOB)
    client.post("/p/verify/", {"day": 1, "month": 1, "year": 1970})  # already verified: no-op
    events = AuditEvent.objects.filter(object_type="invitation", object_id=str(invitation.pk))
    actions = [(e.action, sorted(e.changes)) for e in events]
    assert ("create", ["source", "timepoint"]) in actions
    assert ("update", ["opened_at"]) in actions
    assert all(e.patient_id_ref == anna.patient.pk for e in events)


def test_invite_command_prints_a_working_link(anna, client):
    from fusiontrack.cli import main
    from fusiontrack.portal.models import Invitation

    result = CliRunner().invoke(
        main, ["invite", "--site", "north", "--mrn", "N-1001", "--timepoint", "24m"]
    )
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[0]
    assert url.startswith("http://127.0.0.1:8000/p/")
    invitation = Invitation.objects.get()
    assert invitation.timepoint == "24m" and invitation.source == "cli"
    response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 302


def test_invite_command_explains_an_unknown_patient(personas):
    from fusiontrack.cli import main

    result = CliRunner().invoke(
        main, ["invite", "--site", "north", "--mrn", "NOPE", "--timepoint", "6w"]
    )
    assert result.exit_code == 1
    assert "No patient with MRN 'NOPE' at site 'north'" in result.output
    assert "Traceback" not in result.output


def test_invite_command_refuses_an_answered_time_point(anna):
    """Anna's 12-month questionnaires are in: the command says so instead of printing a link
    that only opens a thank-you page."""
    from fusiontrack.cli import main
    from fusiontrack.portal.models import Invitation

    result = CliRunner().invoke(
        main, ["invite", "--site", "north", "--mrn", "N-1001", "--timepoint", "12m"]
    )
    assert result.exit_code == 1
    assert "already answered" in result.output and "Traceback" not in result.output
    assert not Invitation.objects.exists()
