"""The follow-up scheduler: one idempotent pass, safe every minute from cron or in a loop.

A pass at ``now`` (explicit, so tests can move the clock):

1. **missed**: a pending follow-up whose window closed before today becomes ``missed``; its live
   invitations are left to expire and their queued messages are cancelled;
2. **open**: a pending follow-up whose window is open today and that has no scheduler
   invitation yet gets one (expiring at the earlier of the TTL and the window's last day) and an
   invitation message;
3. **remind**: a live, uncompleted scheduler or staff invitation gets reminder *k* once
   ``reminder_days[k]`` days have passed since it was created; if the scheduler was down past
   several reminder days, only the latest is queued (one nudge, not a burst);
4. **deliver**: the outbox sends what is due, with retries and backoff (``delivery``).

Stopping on completion: a completed response marks the follow-up completed (registry service)
and the portal's submit marks the invitation completed and cancels its queued messages; step 3
skips completed follow-ups and the outbox re-checks before each send. Patients who withdrew
consent (issue 6) and withdrawn episodes get no invitation or reminder.

Idempotency comes from the data, not from the run: step 2 looks for an existing invitation,
step 3's messages have unique idempotency keys, step 4 claims rows before sending.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from fusiontrack.portal import conf, delivery
from fusiontrack.portal.invitations import cancel_pending_messages, create_invitation
from fusiontrack.portal.models import Invitation
from fusiontrack.registry import audit
from fusiontrack.registry.models import FollowUp

logger = logging.getLogger("fusiontrack.portal.scheduler")


@dataclass
class SchedulerReport:
    missed: int = 0
    opened: int = 0
    unreachable: int = 0
    reminders: int = 0
    delivery: delivery.DeliveryReport = field(default_factory=delivery.DeliveryReport)

    def summary(self) -> str:
        d = self.delivery
        return (
            f"opened {self.opened} (unreachable {self.unreachable}), reminders {self.reminders}, "
            f"missed {self.missed}; delivered {d.sent}, retrying {d.retried}, failed {d.failed}, "
            f"cancelled {d.cancelled}"
        )


def _eligible(qs):  # type: ignore[no-untyped-def]
    return qs.exclude(episode__stage="withdrawn").filter(
        patient__consent_withdrawn_date__isnull=True
    )


def mark_missed(today: dt.date) -> int:
    count = 0
    closed = FollowUp.objects.filter(status="pending", window_closes_on__lt=today)
    for follow_up in closed.iterator():
        with transaction.atomic():
            updated = FollowUp.objects.filter(pk=follow_up.pk, status="pending").update(
                status="missed"
            )
            if not updated:
                continue
            audit.record(
                None,
                "update",
                follow_up,
                patient_id=follow_up.patient_id,
                site_id=follow_up.site_id,
                role="scheduler",
                changes={"status": ["pending", "missed"]},
            )
            for invitation in Invitation.objects.filter(
                follow_up=follow_up, completed_at__isnull=True
            ):
                cancel_pending_messages(invitation, reason="window closed")
            count += 1
    return count


def _already_invited(follow_up: FollowUp, now: dt.datetime) -> bool:
    """The scheduler opened it before, or staff already sent a link that still works."""
    invitations = Invitation.objects.filter(follow_up=follow_up)
    return (
        invitations.filter(source="scheduler").exists()
        or invitations.filter(
            revoked_at__isnull=True, locked_at__isnull=True, expires_at__gt=now
        ).exists()
    )


def open_windows(now: dt.datetime, today: dt.date, report: SchedulerReport) -> None:
    due = _eligible(
        FollowUp.objects.filter(
            status="pending", window_opens_on__lte=today, window_closes_on__gte=today
        ).exclude(invitations__source="scheduler")
    ).select_related("episode")
    for follow_up in due.iterator():
        with transaction.atomic():
            # Re-check under the row lock so two overlapping runs open it once.
            locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
            if locked.status != "pending" or _already_invited(locked, now):
                continue
            invitation = create_invitation(
                episode=follow_up.episode,
                timepoint=follow_up.timepoint,
                now=now,
                source="scheduler",
                role="scheduler",
                closes_on=follow_up.window_closes_on,
            )
            if delivery.queue_message(invitation, kind="invite", now=now) is None:
                report.unreachable += 1
            report.opened += 1


def send_reminders(now: dt.datetime, report: SchedulerReport) -> None:
    days = conf.reminder_days()
    if not days:
        return
    live = _eligible(
        Invitation.objects.filter(
            completed_at__isnull=True,
            revoked_at__isnull=True,
            locked_at__isnull=True,
            expires_at__gt=now,
            created_at__lte=now - dt.timedelta(days=days[0]),
        ).exclude(follow_up__status__in=["completed", "missed"])
    ).select_related("patient")
    for invitation in live.iterator():
        elapsed = now - invitation.created_at
        reached = [i for i, d in enumerate(days, start=1) if elapsed >= dt.timedelta(days=d)]
        if not reached:
            continue
        number = reached[-1]
        if invitation.messages.filter(kind="reminder", reminder_number__gte=number).exists():
            continue
        message = delivery.queue_message(
            invitation, kind="reminder", reminder_number=number, now=now
        )
        if message is not None and message.created_at == now:
            report.reminders += 1


def run_once(now: dt.datetime) -> SchedulerReport:
    """One pass of the scheduler at ``now`` (an aware datetime)."""
    if timezone.is_naive(now):
        raise ValueError("now must be time-zone aware (e.g. 2026-03-01T08:00+00:00).")
    today = timezone.localdate(now)
    report = SchedulerReport()
    report.missed = mark_missed(today)
    open_windows(now, today, report)
    send_reminders(now, report)
    report.delivery = delivery.deliver_due(now)
    return report


def run_forever(interval_seconds: int, *, stop_after: int | None = None) -> None:
    """The long-running worker: one pass per interval at the wall clock's time."""
    passes = 0
    while stop_after is None or passes < stop_after:
        started = time.monotonic()
        try:
            report = run_once(timezone.now())
            logger.info("scheduler pass: %s", report.summary())
        except Exception:  # keep the worker alive; the next pass retries
            logger.exception("scheduler pass failed")
        passes += 1
        if stop_after is not None and passes >= stop_after:
            break
        time.sleep(max(0.0, interval_seconds - (time.monotonic() - started)))
