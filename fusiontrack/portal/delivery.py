"""The outbox: queue a message once, deliver it at most once, retry failures with backoff.

Delivery mints the link at send time (``invitations.mint_link``), so no stored row holds a
usable link. Order of a delivery: claim the row (queued → sending, one conditional UPDATE: two
workers cannot both win), check the message is still wanted (a completed questionnaire stops
its reminders even if they were queued), compose in the patient's language, send, record.
A worker killed between sending and recording leaves the row in ``sending``; after
``STALE_CLAIM`` it is marked failed with "outcome unknown" rather than sent again, because a
patient must never get the same message twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation

from fusiontrack.portal import conf
from fusiontrack.portal.invitations import closed_reason, link_for, mint_token
from fusiontrack.portal.language import patient_language
from fusiontrack.portal.models import Invitation, InvitationToken, OutboxMessage
from fusiontrack.portal.sms import SmsError, get_backend
from fusiontrack.portal.tokens import hash_token
from fusiontrack.portal.wording import timepoint_phrase

logger = logging.getLogger("fusiontrack.portal.delivery")

STALE_CLAIM = dt.timedelta(minutes=15)
MAX_BACKOFF = dt.timedelta(hours=6)


def address_for(patient: object, channel: str) -> str:
    if channel == "email":
        return str(getattr(patient, "email", "") or "")
    if channel == "sms":
        return str(getattr(patient, "phone", "") or "")
    return ""


def choose_channel(patient: object, preferred: str | None = None) -> str | None:
    order = [preferred] if preferred else conf.channels()
    return next((c for c in order if c and address_for(patient, c)), None)


def backoff(attempts: int) -> dt.timedelta:
    """Delay before attempt ``attempts + 1``: base × 2^(attempts − 1), at most 6 hours."""
    delay = dt.timedelta(seconds=conf.outbox_backoff_seconds() * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def queue_message(
    invitation: Invitation,
    *,
    kind: str,
    now: dt.datetime,
    reminder_number: int = 0,
    channel: str | None = None,
) -> OutboxMessage | None:
    """Queue one message (idempotent: the same invitation, kind and channel queue once).

    None when the patient has no address on any channel: the invitation becomes unreachable.
    """
    patient = invitation.patient
    chosen = choose_channel(patient, channel)
    if chosen is None:
        if invitation.delivery in {"none", "queued"}:
            Invitation.objects.filter(pk=invitation.pk).update(delivery="unreachable")
            invitation.delivery = "unreachable"
        return None
    key = f"invitation-{invitation.pk}:{kind}-{reminder_number}:{chosen}"
    try:
        with transaction.atomic():
            message, created = OutboxMessage.objects.get_or_create(
                idempotency_key=key,
                defaults={
                    "invitation": invitation,
                    "patient_id": invitation.patient_id,
                    "site_id": invitation.site_id,
                    "channel": chosen,
                    "kind": kind,
                    "reminder_number": reminder_number,
                    "next_attempt_at": now,
                    "created_at": now,
                },
            )
    except IntegrityError:  # a concurrent scheduler run queued it first
        return OutboxMessage.objects.get(idempotency_key=key)
    if created and invitation.delivery == "none":
        Invitation.objects.filter(pk=invitation.pk, delivery="none").update(delivery="queued")
        invitation.delivery = "queued"
    return message


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    stale: int = 0


def deliver_due(now: dt.datetime, *, limit: int = 200) -> DeliveryReport:
    """Deliver every queued message whose time has come (oldest first)."""
    report = DeliveryReport()
    report.stale = OutboxMessage.objects.filter(
        state="sending", claimed_at__lt=now - STALE_CLAIM
    ).update(state="failed", last_error="delivery outcome unknown (worker stopped); not resent")
    due = list(
        OutboxMessage.objects.filter(state="queued", next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        outcome = deliver_one(pk, now)
        if outcome == "sent":
            report.sent += 1
        elif outcome == "retry":
            report.retried += 1
        elif outcome == "failed":
            report.failed += 1
        elif outcome == "cancelled":
            report.cancelled += 1
    return report


def deliver_one(message_id: int, now: dt.datetime) -> str:
    """sent / retry / failed / cancelled / skipped (someone else claimed it)."""
    claimed = OutboxMessage.objects.filter(
        pk=message_id, state="queued", next_attempt_at__lte=now
    ).update(state="sending", claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    message = OutboxMessage.objects.select_related(
        "invitation", "invitation__patient", "invitation__follow_up", "invitation__site"
    ).get(pk=message_id)
    invitation = message.invitation
    patient = invitation.patient
    stop = closed_reason(invitation, now)
    if stop is not None or patient.consent_withdrawn_date is not None:
        why = stop.reason if stop is not None else "consent withdrawn"
        OutboxMessage.objects.filter(pk=message_id).update(state="cancelled", last_error=why)
        return "cancelled"
    to = address_for(patient, message.channel)
    token = mint_token(invitation, now=now, purpose=message.channel)
    try:
        with translation.override(patient_language(patient)):
            _send(message, invitation, to, link_for(token))
    except (smtplib.SMTPException, OSError, SmsError) as exc:
        # The link was never delivered: forget its hash too.
        InvitationToken.objects.filter(token_hash=hash_token(token)).delete()
        return _record_failure(message, invitation, now, exc)
    OutboxMessage.objects.filter(pk=message_id).update(state="sent", sent_at=now, last_error="")
    Invitation.objects.filter(pk=invitation.pk).exclude(delivery="sent").update(delivery="sent")
    return "sent"


def _record_failure(
    message: OutboxMessage, invitation: Invitation, now: dt.datetime, exc: Exception
) -> str:
    error = f"{type(exc).__name__}: {exc}"[:300]
    logger.warning("Delivery of outbox message %s failed: %s", message.pk, error)
    if message.attempts >= conf.outbox_max_attempts():
        OutboxMessage.objects.filter(pk=message.pk).update(state="failed", last_error=error)
        Invitation.objects.filter(pk=invitation.pk).exclude(delivery="sent").update(
            delivery="failed"
        )
        return "failed"
    OutboxMessage.objects.filter(pk=message.pk).update(
        state="queued", next_attempt_at=now + backoff(message.attempts), last_error=error
    )
    return "retry"


def _context(message: OutboxMessage, invitation: Invitation, link: str) -> dict[str, object]:
    return {
        "patient": invitation.patient,
        "site": invitation.site,
        "link": link,
        "expires_at": invitation.expires_at,
        "timepoint": timepoint_phrase(invitation.timepoint),
        "reminder": message.kind == "reminder",
    }


def _send(message: OutboxMessage, invitation: Invitation, to: str, link: str) -> None:
    context = _context(message, invitation, link)
    if message.channel == "email":
        subject = render_to_string("portal/email/subject.txt", context).strip()
        body = render_to_string("portal/email/body.txt", context)
        EmailMessage(subject, body, conf.from_email(), [to]).send(fail_silently=False)
    else:
        body = render_to_string("portal/email/sms.txt", context).strip()
        get_backend().send(to, body)
