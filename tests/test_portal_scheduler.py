"""The scheduler with frozen time (``now`` passed explicitly): opening a window, reminders at
+3 and +7 days, stopping on completion, missed time points, retries with backoff, idempotency
(issue 4 §2)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from django.core import mail
from django.utils import timezone

pytestmark = pytest.mark.django_db

SURGERY = dt.date(2026, 1, 5)


def at(days_after_surgery: int, hour: int = 8, minute: int = 0) -> dt.datetime:
    day = SURGERY + dt.timedelta(days=days_after_surgery)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def operated_patient(site, surgeon, *, mrn="N-2001", email="lena@example.org", phone=""):
    """Lena Holm, operated on 5 January 2026; follow-ups scheduled by the registry."""
    from fusiontrack.registry import services
    from fusiontrack.registry.models import Episode, Operation, Patient

    patient = Patient.objects.create(
        site=site,
        mrn=mrn,
        given_name="Lena",
        family_name="Holm",
        date_of_birth=dt.date(1970, 6, 1),
        sex="female",
        email=email,
        phone=phone,
        consent_registry=True,
    )
    episode = services.create_episode(
        None,
        Episode(patient=patient, title="L5–S1 TLIF", opened_on=SURGERY - dt.timedelta(days=100)),
        role="surgeon",
        user=surgeon,
    )
    services.create_record(
        None,
        Operation(
            episode=episode,
            operation_date=SURGERY,
            surgeon=surgeon,
            levels="L5-S1",
            approach="tlif",
        ),
        role="surgeon",
    )
    return patient, episode


@pytest.fixture
def lena(personas):
    return operated_patient(personas.north, personas.sofia)


def run(now):
    from fusiontrack.portal.scheduler import run_once

    return run_once(now)


def invitations(episode, timepoint="6w"):
    from fusiontrack.portal.models import Invitation

    return Invitation.objects.filter(episode=episode, timepoint=timepoint)


def test_nothing_opens_before_the_window(lena):
    _, episode = lena
    report = run(at(27))  # the 6-week window opens on day 28
    assert report.opened == 0
    assert not invitations(episode).exists()


def test_window_opening_sends_one_invitation_even_if_run_twice(lena, client):
    patient, episode = lena
    first = run(at(28))
    second = run(at(28, minute=1))
    assert (first.opened, second.opened) == (1, 0)
    invitation = invitations(episode).get()
    assert invitation.source == "scheduler" and invitation.delivery == "sent"
    # Expires after the default 14 days (the window is still open then).
    assert invitation.expires_at == at(42)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [patient.email]
    assert "6 weeks after your surgery" in message.body
    link = re.search(r"http://127\.0\.0\.1:8000(/p/[A-Za-z0-9_-]+)", message.body).group(1)
    # The web request runs on the real clock: keep the link alive until then.
    invitation.expires_at = timezone.now() + dt.timedelta(days=1)
    invitation.save()
    assert client.get(link).status_code == 302


def test_reminders_at_three_and_seven_days(lena):
    _, episode = lena
    run(at(28))
    assert run(at(30)).reminders == 0
    assert run(at(31)).reminders == 1
    assert run(at(31, minute=5)).reminders == 0  # idempotent
    assert run(at(35)).reminders == 1
    assert run(at(40)).reminders == 0  # no third reminder by default
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "Your questionnaire from North Spine Centre",
        "Reminder: your questionnaire from North Spine Centre",
        "Reminder: your questionnaire from North Spine Centre",
    ]
    kinds = list(invitations(episode).get().messages.values_list("kind", "reminder_number"))
    assert kinds == [("invite", 0), ("reminder", 1), ("reminder", 2)]


def test_reminder_days_are_configurable(lena, settings):
    settings.FUSIONTRACK_REMINDER_DAYS = "2"
    run(at(28))
    assert run(at(30)).reminders == 1
    assert run(at(35)).reminders == 0


def test_a_late_scheduler_sends_only_the_latest_reminder(lena):
    _, episode = lena
    run(at(28))
    report = run(at(37))  # down for 9 days: reminder 2 is due, reminder 1 is skipped
    assert report.reminders == 1
    numbers = list(
        invitations(episode)
        .get()
        .messages.filter(kind="reminder")
        .values_list("reminder_number", flat=True)
    )
    assert numbers == [2]


def test_reminders_stop_the_moment_the_response_is_complete(lena):
    from fusiontrack.portal import submit

    _, episode = lena
    run(at(28))
    invitation = invitations(episode).get()
    submit.save_draft(invitation, "nrs", {"nrs_back": 2, "nrs_leg": 1}, finished=True, now=at(30))
    assert submit.submit(invitation, now=at(30), request=None)
    assert run(at(31)).reminders == 0
    assert run(at(35)).reminders == 0
    assert len(mail.outbox) == 1


def test_a_queued_reminder_is_cancelled_when_staff_enter_the_answers(lena, personas):
    from fusiontrack.portal.models import OutboxMessage
    from fusiontrack.registry import services

    _, episode = lena
    run(at(28))
    from fusiontrack.portal.scheduler import SchedulerReport, send_reminders

    send_reminders(at(31), SchedulerReport())  # queued, not delivered yet
    services.save_response(
        None,
        episode=episode,
        instrument_id="nrs",
        timepoint="6w",
        responded_on=at(31).date(),
        answers={"nrs_back": 3, "nrs_leg": 2},
        entry_mode="phone",
        role="coordinator",
        entered_by=personas.omar,
    )
    report = run(at(31, minute=1))
    assert report.delivery.cancelled == 1 and report.delivery.sent == 0
    reminder = OutboxMessage.objects.get(kind="reminder")
    assert reminder.state == "cancelled" and reminder.last_error == "completed"
    assert len(mail.outbox) == 1


def test_time_point_is_marked_missed_when_its_window_closes(lena):
    from fusiontrack.portal.models import OutboxMessage
    from fusiontrack.registry.models import AuditEvent, FollowUp

    _, episode = lena
    report = run(at(1))
    assert report.missed == 1  # the baseline window closed on the day of surgery
    assert FollowUp.objects.get(episode=episode, timepoint="baseline").status == "missed"
    run(at(28))
    OutboxMessage.objects.update(state="queued", next_attempt_at=at(70))  # pretend one waits
    report = run(at(64))  # the 6-week window closed on day 63
    assert report.missed == 1
    assert FollowUp.objects.get(episode=episode, timepoint="6w").status == "missed"
    assert OutboxMessage.objects.filter(state="cancelled").count() == 1
    assert run(at(64, minute=1)).missed == 0
    assert (
        AuditEvent.objects.filter(role="scheduler", changes__status=["pending", "missed"]).count()
        == 2
    )


def test_patient_without_address_is_unreachable(personas):
    from fusiontrack.portal.views.staff import invitation_rows

    patient, episode = operated_patient(personas.north, personas.sofia, email="", phone="")
    report = run(at(28))
    assert (report.opened, report.unreachable) == (1, 1)
    invitation = invitations(episode).get()
    assert invitation.delivery == "unreachable"
    assert invitation.state(at(29)) == "unreachable"
    assert [r["state"] for r in invitation_rows(patient, at(29))] == ["unreachable"]


def test_withdrawn_consent_gets_no_invitation(lena):
    patient, _ = lena
    patient.consent_withdrawn_date = SURGERY
    patient.save()
    assert run(at(28)).opened == 0


def test_sms_retries_with_backoff_and_is_sent_once(personas, settings):
    from fusiontrack.portal.models import OutboxMessage
    from fusiontrack.portal.sms import LocmemSmsBackend

    settings.FUSIONTRACK_SMS_BACKEND = "fusiontrack.portal.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    LocmemSmsBackend.fail_next = 2
    _, episode = operated_patient(personas.north, personas.sofia, email="", phone="+4670000001")
    assert run(at(28)).delivery.retried == 1
    message = OutboxMessage.objects.get()
    assert message.attempts == 1 and message.next_attempt_at == at(28, minute=5)
    assert run(at(28, minute=4)).delivery.retried == 0  # not due yet
    assert run(at(28, minute=5)).delivery.retried == 1
    message.refresh_from_db()
    assert message.next_attempt_at == at(28, minute=15)  # doubled
    assert run(at(28, minute=15)).delivery.sent == 1
    assert run(at(28, minute=30)).delivery.sent == 0
    assert len(LocmemSmsBackend.outbox) == 1
    to, body = LocmemSmsBackend.outbox[0]
    assert to == "+4670000001" and "/p/" in body
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 3)
    # Tokens of failed attempts were forgotten: one token for the one delivered link.
    assert invitations(episode).get().tokens.count() == 1


def test_delivery_fails_after_max_attempts(personas, settings):
    from fusiontrack.portal.models import OutboxMessage
    from fusiontrack.portal.sms import LocmemSmsBackend

    settings.FUSIONTRACK_SMS_BACKEND = "fusiontrack.portal.sms.LocmemSmsBackend"
    settings.FUSIONTRACK_OUTBOX_MAX_ATTEMPTS = 2
    LocmemSmsBackend.fail_next = 5
    _, episode = operated_patient(personas.north, personas.sofia, email="", phone="+4670000002")
    run(at(28))
    report = run(at(29))
    assert report.delivery.failed == 1
    assert OutboxMessage.objects.get().state == "failed"
    invitation = invitations(episode).get()
    assert invitation.delivery == "failed" and invitation.state(at(29)) == "failed"
    LocmemSmsBackend.fail_next = 0


def test_a_message_claimed_by_a_dead_worker_is_never_sent_again(lena):
    from fusiontrack.portal.delivery import queue_message
    from fusiontrack.portal.invitations import create_invitation
    from fusiontrack.portal.models import OutboxMessage

    _, episode = lena
    invitation = create_invitation(episode=episode, timepoint="6w", now=at(28), source="staff")
    message = queue_message(invitation, kind="invite", now=at(28))
    OutboxMessage.objects.filter(pk=message.pk).update(state="sending", claimed_at=at(28))
    report = run(at(28, minute=20))
    assert report.delivery.stale == 1
    message.refresh_from_db()
    assert message.state == "failed" and "not resent" in message.last_error
    assert mail.outbox == []


def test_queueing_the_same_message_twice_is_one_row(lena):
    from fusiontrack.portal.delivery import queue_message
    from fusiontrack.portal.invitations import create_invitation

    _, episode = lena
    invitation = create_invitation(episode=episode, timepoint="6w", now=at(28), source="staff")
    first = queue_message(invitation, kind="reminder", reminder_number=1, now=at(31))
    second = queue_message(invitation, kind="reminder", reminder_number=1, now=at(31))
    assert first.pk == second.pk


def test_run_scheduler_command_once_with_as_of(lena):
    from fusiontrack.cli import main

    result = CliRunner().invoke(main, ["run-scheduler", "--once", "--as-of", "2026-02-02T08:00Z"])
    assert result.exit_code == 0, result.output
    assert "opened 1" in result.output and "delivered 1" in result.output
    bad = CliRunner().invoke(main, ["run-scheduler", "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "not an ISO date" in bad.output


def test_worker_loop_runs_passes(lena, monkeypatch):
    from fusiontrack.portal import scheduler

    monkeypatch.setattr(scheduler.time, "sleep", lambda seconds: None)
    scheduler.run_forever(60, stop_after=2)
