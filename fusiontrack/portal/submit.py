"""Draft answers and the final, idempotent submit.

Idempotency: the submit first claims the invitation with a conditional UPDATE (``completed_at``
still empty), which locks the row until the commit and returns at once when another request got
there first; each response gets its Submission row, whose unique
(invitation, instrument) constraint stops a second response even if two requests race on a
database without row locks. A double tap or a retry therefore yields one response per
questionnaire and the same thank-you page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from fusiontrack.portal.invitations import cancel_pending_messages
from fusiontrack.portal.models import DraftAnswers, Invitation, Submission
from fusiontrack.registry import audit, services


def drafts_for(invitation: Invitation) -> dict[str, DraftAnswers]:
    return {d.instrument_id: d for d in DraftAnswers.objects.filter(invitation=invitation)}


def save_draft(
    invitation: Invitation,
    instrument_id: str,
    answers: Mapping[str, Any],
    *,
    finished: bool,
    now: dt.datetime,
) -> None:
    """Store this page's answers (replacing the page's earlier ones); one upsert."""
    DraftAnswers.objects.update_or_create(
        invitation=invitation,
        instrument_id=instrument_id,
        defaults={"answers": dict(answers), "finished": finished, "updated_at": now},
    )


def submit(invitation: Invitation, *, now: dt.datetime, request: HttpRequest | None) -> bool:
    """Create one response per questionnaire from the drafts. False if it was already done."""
    try:
        with transaction.atomic():
            return _submit_locked(invitation, now=now, request=request)
    except IntegrityError:
        # A concurrent submit won the race (unique constraint); its responses stand.
        return False


def _submit_locked(
    invitation: Invitation, *, now: dt.datetime, request: HttpRequest | None
) -> bool:
    # Claim first: one conditional UPDATE both takes the row lock (PostgreSQL holds it to the
    # commit, and a concurrent submit's UPDATE waits, then matches no row; SQLite has a single
    # writer) and says whether this request is the first. It replaces SELECT ... FOR UPDATE,
    # the already-submitted lookup and the final UPDATE: three round trips become one.
    claimed = Invitation.objects.filter(
        pk=invitation.pk, completed_at__isnull=True, revoked_at__isnull=True
    ).update(completed_at=now)
    if not claimed:
        return False
    # Before the responses: the registry's audit appends lock the audit chain head until the
    # commit, so everything that can run before the first one does.
    cancel_pending_messages(invitation, reason="completed")
    drafts = drafts_for(invitation)
    responded_on = timezone.localdate(now)
    submissions = []
    for instrument_id in invitation.instruments:
        draft = drafts.get(instrument_id)
        if draft is None or not draft.answers:
            continue
        # request=None: the registry's service would take request.user (anonymous) as the
        # person who entered it; the patient's own audit entry below carries the client.
        response = services.save_response(
            None,
            episode=invitation.episode,
            instrument_id=instrument_id,
            timepoint=invitation.timepoint,
            responded_on=responded_on,
            answers=draft.answers,
            entry_mode="patient",
            role="patient",
        )
        submissions.append(
            Submission(
                invitation=invitation,
                instrument_id=instrument_id,
                response=response,
                created_at=now,
            )
        )
    Submission.objects.bulk_create(submissions)
    invitation.completed_at = now
    audit.record(
        request,
        "update",
        invitation,
        patient_id=invitation.patient_id,
        site_id=invitation.site_id,
        role="patient",
        changes={"completed_at": [None, now.isoformat()]},
    )
    return True


def preview_scores(instrument_id: str, answers: Mapping[str, Any]) -> Any:
    """The core's result for a draft (to warn about missing answers before sending)."""
    from fusiontrack.core.errors import FusiontrackError
    from fusiontrack.core.instruments import score

    try:
        return score(instrument_id, dict(answers))
    except FusiontrackError:
        return None
