"""Questionnaire responses (scored by the core on the way in), scores and follow-up schedules."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.responses import Status

from fusiontrack.api import schemas as s
from fusiontrack.api.auth import audit_reads
from fusiontrack.api.errors import ApiError
from fusiontrack.api.routes.patients import require_write
from fusiontrack.core.instruments import INSTRUMENTS
from fusiontrack.registry import access, services
from fusiontrack.registry.models import QuestionnaireResponse, Score
from fusiontrack.registry.scheduling import display_status

router = Router(tags=["questionnaires"])


@router.get("/episodes/{episode_id}/responses", response=list[s.ResponseOut])
def list_responses(request: HttpRequest, episode_id: int) -> list[QuestionnaireResponse]:
    episode = access.get_episode_for_user(request, episode_id)
    rows = list(episode.responses.order_by("responded_on", "id"))
    audit_reads(request, [(r, r.patient_id, r.site_id) for r in rows])
    return rows


@router.post("/episodes/{episode_id}/responses", response={201: s.ResponseOut})
def create_response(request: HttpRequest, episode_id: int, payload: s.ResponseIn):
    """Score the answers with the core and store them; a bad answer is a 422 naming the item."""
    require_write(request)
    if payload.instrument_id not in INSTRUMENTS:
        known = ", ".join(sorted(INSTRUMENTS))
        raise ApiError(
            422,
            f"No instrument {payload.instrument_id!r}; use one of: {known}.",
            [{"field": "body.instrument_id", "message": f"one of {known}"}],
        )
    episode = access.get_episode_for_user(request, episode_id, kind="questionnaire", write=True)
    unknown = sorted(set(payload.answers) - set(INSTRUMENTS[payload.instrument_id].item_ids))
    if unknown:
        raise ApiError(
            422,
            f"{payload.instrument_id} has no item {', '.join(unknown)}.",
            [{"field": f"body.answers.{u}", "message": "unknown item"} for u in unknown],
        )
    response = services.save_response(
        request,
        episode=episode,
        instrument_id=payload.instrument_id,
        timepoint=payload.timepoint,
        responded_on=payload.responded_on,
        answers={k: v for k, v in payload.answers.items() if v is not None},
        entry_mode=payload.entry_mode,
        role=access.role_at(request, episode.site_id) or "",
    )
    return Status(201, response)


@router.get("/responses/{response_id}", response=s.ResponseOut)
def get_response(request: HttpRequest, response_id: int) -> QuestionnaireResponse:
    response = access.get_response_for_user(request, response_id)
    audit_reads(request, [(response, response.patient_id, response.site_id)])
    return response


@router.get("/episodes/{episode_id}/scores", response=list[s.ScoreOut], tags=["scores"])
def list_scores(request: HttpRequest, episode_id: int, measure: str | None = None) -> list[Score]:
    episode = access.get_episode_for_user(request, episode_id)
    qs = Score.objects.filter(episode=episode).order_by("responded_on", "measure", "id")
    if measure:
        qs = qs.filter(measure=measure)
    rows = list(qs)
    audit_reads(request, [(episode, episode.patient_id, episode.site_id)])
    return rows


@router.get("/episodes/{episode_id}/schedule", response=s.ScheduleOut, tags=["schedules"])
def get_schedule(request: HttpRequest, episode_id: int, as_of: dt.date | None = None) -> dict:
    """The follow-up time points with their status on ``as_of`` (default: today at the server)."""
    episode = access.get_episode_for_user(request, episode_id)
    day = as_of or timezone.localdate()
    follow_ups = [
        {
            "timepoint": f.timepoint,
            "due_on": f.due_on,
            "window_opens_on": f.window_opens_on,
            "window_closes_on": f.window_closes_on,
            "status": display_status(f, day),
            "completed_on": f.completed_on,
        }
        for f in episode.follow_ups.order_by("due_on", "id")
    ]
    audit_reads(request, [(episode, episode.patient_id, episode.site_id)])
    return {
        "episode_id": episode.pk,
        "as_of": day,
        "surgery_date": episode.surgery_date or episode.planned_surgery_date,
        "follow_ups": follow_ups,
    }
