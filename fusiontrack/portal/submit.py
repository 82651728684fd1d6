"""Draft answers and the final, idempotent submit.

Idempotency: the submit locks the invitation row (``select_for_update``), returns at once when
it is already completed, and creates each response with its Submission row, whose unique
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
    locked = Invitation.objects.select_for_update().select_related("episode").get(pk=invitation.pk)
    if locked.completed_at is not None:
        return False
    drafts = drafts_for(locked)
    done = set(Submission.objects.filter(invitation=locked).values_list("instrument_id", flat=True))
    responded_on = timezone.localdate(now)
    for instrument_id in locked.instruments:
        draft = drafts.get(instrument_id)
        if instrument_id in done or draft is None or not draft.answers:
            continue
        # request=None: the registry's service would take request.user (anonymous) as the
        # person who entered it; the patient's own audit entry below carries the client.
        response = services.save_response(
            None,
            episode=locked.episode,
            instrument_id=instrument_id,
            timepoint=locked.timepoint,
            responded_on=responded_on,
            answers=draft.answers,
            entry_mode="patient",
            role="patient",
        )
        Submission.objects.create(
            invitation=locked, instrument_id=instrument_id, response=response, created_at=now
        )
    locked.completed_at = now
    locked.save(update_fields=["completed_at"])
    cancel_pending_messages(locked, reason="completed")
    audit.record(
        request,
        "update",
        locked,
        patient_id=locked.patient_id,
        site_id=locked.site_id,
        role="patient",
        changes={"completed_at": [None, now.isoformat()]},
    )
    invitation.completed_at = now
    return True


def preview_scores(instrument_id: str, answers: Mapping[str, Any]) -> Any:
    """The core's result for a draft (to warn about missing answers before sending)."""
    from fusiontrack.core.errors import FusiontrackError
    from fusiontrack.core.instruments import score

    try:
        return score(instrument_id, dict(answers))
    except FusiontrackError:
        return None
