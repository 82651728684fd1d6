"""One episode's journey: everything recorded, in date order, and what comes next.

``load_episode`` reads the episode's records with one query per record type, whatever the size
of the record, so the patient page's query count is constant.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fusiontrack.core import vocab
from fusiontrack.registry.kinds import KINDS
from fusiontrack.registry.models import Episode, FollowUp, QuestionnaireResponse, StageEvent
from fusiontrack.registry.scheduling import display_status


@dataclass
class EpisodeData:
    episode: Episode
    records: dict[str, list[Any]]
    stage_events: list[StageEvent]
    follow_ups: list[FollowUp]
    responses: list[QuestionnaireResponse]

    @property
    def primary_diagnosis(self) -> str | None:
        diagnoses = self.records.get("diagnosis", [])
        primary = [d for d in diagnoses if d.is_primary] or diagnoses
        return primary[0].diagnosis if primary else None


@dataclass(frozen=True)
class TimelineEvent:
    date: dt.date
    label: str
    text: str
    css: str = "event"
    kind: str = ""
    record_id: int | None = None
    response_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class NextStep:
    text: str
    date: dt.date | None = None
    status: str = ""


@dataclass
class Journey:
    events: list[TimelineEvent] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)


def load_episode(episode: Episode) -> EpisodeData:
    records: dict[str, list[Any]] = {}
    for slug, kind in KINDS.items():
        qs = kind.model._default_manager.filter(episode=episode)
        if slug == "operation":
            qs = qs.select_related("surgeon")
        records[slug] = list(qs)
    return EpisodeData(
        episode=episode,
        records=records,
        stage_events=list(StageEvent.objects.filter(episode=episode)),
        follow_ups=list(FollowUp.objects.filter(episode=episode)),
        responses=list(
            QuestionnaireResponse.objects.filter(episode=episode)
            .defer("answers")
            .order_by("responded_on", "id")
        ),
    )


def _response_events(responses: list[QuestionnaireResponse]) -> list[TimelineEvent]:
    """One event per time point, day and way of entry: 'ODI, NRS, EQ-5D-5L (phone)'."""
    groups: dict[tuple[dt.date, str, str], list[QuestionnaireResponse]] = defaultdict(list)
    for r in responses:
        groups[(r.responded_on, r.timepoint, r.entry_mode)].append(r)
    events = []
    for (day, timepoint, mode), rs in groups.items():
        names = ", ".join(r.instrument_id.upper() for r in rs)
        incomplete = [r for r in rs if not r.complete]
        text = f"{names} — {vocab.label(vocab.ENTRY_MODES, mode).lower()}"
        if incomplete:
            text += f"; {len(incomplete)} incomplete"
        events.append(
            TimelineEvent(
                day,
                f"Questionnaires: {vocab.label(vocab.TIMEPOINTS, timepoint).lower()}",
                text,
                "questionnaire",
                "questionnaire",
                response_ids=tuple(r.pk for r in rs),
            )
        )
    return events


# Workflow prompts per stage (what the team usually records next); not clinical advice.
STAGE_PROMPTS = {
    "evaluation": "Record the diagnosis and imaging; start conservative care or record a decision.",
    "conservative_care": "Record the conservative treatments and their response.",
    "surgical_decision": "Record the pre-operative assessment and the baseline questionnaires.",
    "preparation": "Record the operation once it has taken place.",
    "surgery": "Record the hospital stay and discharge.",
    "recovery": "Collect follow-up questionnaires; record complications and fusion assessments.",
}


def build_journey(data: EpisodeData, as_of: dt.date) -> Journey:
    journey = Journey()
    for s in data.stage_events:
        text = s.note or ""
        journey.events.append(
            TimelineEvent(
                s.entered_on, f"Stage: {s.get_stage_display()}", text, "stage", "stage", s.pk
            )
        )
    for slug, kind in KINDS.items():
        for record in data.records[slug]:
            journey.events.append(
                TimelineEvent(
                    getattr(record, kind.date_field),
                    kind.label,
                    kind.summary(record),
                    kind.timeline_class,
                    slug,
                    record.pk,
                )
            )
    journey.events.extend(_response_events(data.responses))
    for f in data.follow_ups:
        status = display_status(f, as_of)
        label = f"Follow-up {vocab.label(vocab.TIMEPOINTS, f.timepoint).lower()}"
        if status == "missed":
            journey.events.append(TimelineEvent(f.window_closes_on, label, "missed", "missed"))
        elif status != "completed":
            journey.next_steps.append(
                NextStep(f"{label}: due {f.due_on:%d %b %Y}", f.due_on, status)
            )
    journey.events.sort(key=lambda e: (e.date, e.css != "stage"))
    episode = data.episode
    has_baseline = any(r.timepoint == "baseline" for r in data.responses)
    if episode.stage in {"surgical_decision", "preparation"} and not has_baseline:
        journey.next_steps.insert(
            0,
            NextStep(
                "Baseline questionnaires are missing: collect them before surgery.",
                status="overdue",
            ),
        )
    prompt = STAGE_PROMPTS.get(episode.stage)
    if prompt:
        journey.next_steps.append(NextStep(prompt))
    return journey
