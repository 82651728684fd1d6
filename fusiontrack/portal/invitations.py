"""Invitations: create, mint a link, open it, check the date of birth, revoke.

Every state change is one transaction with its audit entry (``fusiontrack.registry.audit``).
``now`` is always passed in: the scheduler and the tests decide what time it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from fusiontrack.core import vocab
from fusiontrack.portal import conf
from fusiontrack.portal.models import Invitation, InvitationToken, OutboxMessage
from fusiontrack.portal.tokens import hash_token, looks_like_token, new_token
from fusiontrack.registry import audit
from fusiontrack.registry.models import Episode, FollowUp


class InvitationError(Exception):
    """An invitation cannot be created as asked (message says why and what to do)."""


def _audit(
    request: HttpRequest | None,
    action: str,
    invitation: Invitation,
    *,
    role: str,
    changes: dict[str, list[Any]] | None = None,
    user: Any = None,
) -> None:
    audit.record(
        request,
        action,
        invitation,
        patient_id=invitation.patient_id,
        site_id=invitation.site_id,
        role=role,
        changes=changes,
        user=user,
    )


def end_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


@transaction.atomic
def create_invitation(
    *,
    episode: Episode,
    timepoint: str,
    now: dt.datetime,
    source: str,
    request: HttpRequest | None = None,
    user: Any = None,
    role: str = "",
    instruments: Sequence[str] | None = None,
    ttl_days: int | None = None,
    closes_on: dt.date | None = None,
) -> Invitation:
    """A new invitation; earlier live ones for the same episode and time point are revoked, so
    only the newest link works. ``closes_on`` caps the expiry at the end of that day (the
    scheduler passes the follow-up window's last day)."""
    if timepoint not in vocab.codes(vocab.TIMEPOINTS):
        raise InvitationError(
            f"Unknown time point {timepoint!r}; "
            f"use one of {', '.join(vocab.codes(vocab.TIMEPOINTS))}."
        )
    from fusiontrack.core.instruments import INSTRUMENTS

    chosen = list(instruments or conf.instruments())
    unknown = [i for i in chosen if i not in INSTRUMENTS]
    if unknown or not chosen:
        raise InvitationError(
            f"Unknown questionnaire(s) {', '.join(unknown) or '(none)'}; check "
            "FUSIONTRACK_PORTAL_INSTRUMENTS against `fusiontrack instruments`."
        )
    follow_up = FollowUp.objects.filter(episode=episode, timepoint=timepoint).first()
    if follow_up is not None and follow_up.status == "completed":
        # The link would only ever show "we already have your answers".
        answered = f" on {follow_up.completed_on:%d %b %Y}" if follow_up.completed_on else ""
        raise InvitationError(
            f"The {timepoint} questionnaires of this episode were already answered{answered}; "
            "there is nothing to send."
        )
    expires = now + dt.timedelta(days=ttl_days or conf.invitation_ttl_days())
    if closes_on is not None:
        expires = min(expires, end_of_day(closes_on, now.tzinfo or dt.UTC))
    revoke_live(episode=episode, timepoint=timepoint, now=now, request=request, role=role)
    invitation = Invitation.objects.create(
        patient_id=episode.patient_id,
        episode=episode,
        site_id=episode.site_id,
        follow_up=follow_up,
        timepoint=timepoint,
        instruments=chosen,
        source=source,
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
        created_at=now,
        expires_at=expires,
        dob_required=conf.dob_check(),
    )
    _audit(
        request,
        "create",
        invitation,
        role=role,
        user=user,
        changes={"timepoint": [None, timepoint], "source": [None, source]},
    )
    return invitation


def revoke_live(
    *,
    episode: Episode,
    timepoint: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
    role: str = "",
) -> int:
    live = Invitation.objects.filter(
        episode=episode,
        timepoint=timepoint,
        completed_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )
    count = 0
    for invitation in live.select_for_update():
        revoke(invitation, now=now, request=request, role=role)
        count += 1
    return count


@transaction.atomic
def revoke(
    invitation: Invitation, *, now: dt.datetime, request: HttpRequest | None = None, role: str = ""
) -> None:
    if invitation.revoked_at is not None or invitation.completed_at is not None:
        return
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    cancel_pending_messages(invitation, reason="revoked")
    _audit(
        request, "update", invitation, role=role, changes={"revoked_at": [None, now.isoformat()]}
    )


def cancel_pending_messages(invitation: Invitation, *, reason: str) -> int:
    """Queued messages of an invitation that no longer needs them are never sent."""
    return OutboxMessage.objects.filter(invitation=invitation, state="queued").update(
        state="cancelled", last_error=reason[:300]
    )


def mint_token(invitation: Invitation, *, now: dt.datetime, purpose: str) -> str:
    """A fresh link token for the invitation; only its hash is stored."""
    token = new_token()
    InvitationToken.objects.create(
        invitation=invitation, token_hash=hash_token(token), purpose=purpose, created_at=now
    )
    return token


def mint_link(invitation: Invitation, *, now: dt.datetime, purpose: str) -> str:
    return link_for(mint_token(invitation, now=now, purpose=purpose))


def link_for(token: str) -> str:
    return conf.base_url() + reverse("portal:enter", kwargs={"token": token})


def find_by_token(token: str) -> Invitation | None:
    if not looks_like_token(token):
        return None
    row = (
        InvitationToken.objects.select_related(
            "invitation", "invitation__patient", "invitation__follow_up"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    return row.invitation if row is not None else None


@dataclass(frozen=True)
class Closed:
    """Why a link no longer opens, for the friendly page."""

    reason: str  # expired, revoked, completed, locked, unknown


def closed_reason(invitation: Invitation | None, now: dt.datetime) -> Closed | None:
    """None when the invitation may be opened; else why not."""
    if invitation is None:
        return Closed("unknown")
    follow_up = invitation.follow_up
    if invitation.completed_at is not None or (
        follow_up is not None and follow_up.status == "completed"
    ):
        return Closed("completed")
    if invitation.revoked_at is not None:
        return Closed("revoked")
    if invitation.locked_at is not None:
        return Closed("locked")
    if now >= invitation.expires_at:
        return Closed("expired")
    return None


def mark_opened(invitation: Invitation, *, now: dt.datetime, request: HttpRequest) -> None:
    """First open is recorded (staff see 'opened'); later opens only refresh nothing."""
    if invitation.opened_at is None:
        updated = Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=now
        )
        if updated:
            invitation.opened_at = now
            _audit(
                request,
                "update",
                invitation,
                role="patient",
                changes={"opened_at": [None, now.isoformat()]},
            )


@transaction.atomic
def check_date_of_birth(
    invitation: Invitation, given: dt.date, *, now: dt.datetime, request: HttpRequest
) -> bool:
    """True when it matches. Failures are counted on the invitation; the last allowed failure
    locks it (only staff can send a new link)."""
    current = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if current.locked_at is not None:
        invitation.locked_at = current.locked_at
        return False
    if given == current.patient.date_of_birth:
        return True
    current.dob_failures += 1
    fields = ["dob_failures"]
    if current.dob_failures >= conf.dob_max_failures():
        current.locked_at = now
        fields.append("locked_at")
        cancel_pending_messages(current, reason="locked after wrong dates of birth")
    current.save(update_fields=fields)
    invitation.dob_failures, invitation.locked_at = current.dob_failures, current.locked_at
    _audit(
        request,
        "update",
        current,
        role="patient",
        changes={"dob_failures": [current.dob_failures - 1, current.dob_failures]},
    )
    return False
