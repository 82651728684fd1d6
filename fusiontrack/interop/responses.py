"""Questionnaire responses of an import: resolve patient/episode/time point, score in batches,
skip what is already stored, write in bulk.

Natural key of a response: (episode, instrument, time point, date answered). A row whose key is
stored already is skipped, which makes re-running an import a no-op; a second row with the same
key in one file is reported as a duplicate. Scoring uses the core's vectorised path
(``evaluate_batch``), whose results equal the single scorer's; rows are written with
``bulk_create`` together with their Score rows and follow-up state (the copies
``services.save_response`` keeps in step).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone

from fusiontrack.core.instruments import INSTRUMENTS, evaluate_batch, resolve_options
from fusiontrack.core.schedule import assign_timepoints
from fusiontrack.insight.changes import mark as mark_changed
from fusiontrack.interop import bulk
from fusiontrack.registry.models import Episode, FollowUp, QuestionnaireResponse, Score

BATCH = 5_000
PatientKey = tuple[str, Any]  # ("pk", 12) or ("mrn", "N-1001")


@dataclass
class ResponseRow:
    where: str
    patient: PatientKey
    instrument_id: str
    authored: dt.date
    timepoint: str | None
    care_plan_id: int | None
    answers: dict[str, Any]
    entry_mode: str


@dataclass
class Prepared:
    """A row ready to write: its episode and time point known, its scores computed."""

    row: ResponseRow
    patient_id: int
    episode: Episode
    timepoint: str
    scores: dict[str, Any]
    complete: bool
    reason: str


Errors = list[tuple[str, str]]


def resolve_episodes(
    rows: list[ResponseRow],
    patient_ids: dict[PatientKey, int],
    create_missing: Callable[[int, dt.date], Episode] | None,
    errors: Errors,
) -> list[tuple[ResponseRow, int, Episode]]:
    """Each row's patient and episode (named by basedOn, else the latest open one)."""
    wanted = {patient_ids[r.patient] for r in rows if r.patient in patient_ids}
    episodes: dict[int, list[Episode]] = defaultdict(list)
    for episode in Episode.objects.filter(patient_id__in=wanted).order_by("-opened_on", "-id"):
        episodes[episode.patient_id].append(episode)
    out = []
    for row in rows:
        patient_id = patient_ids.get(row.patient)
        if patient_id is None:
            errors.append((row.where, f"no patient {row.patient[1]!r} at this site."))
            continue
        own = episodes[patient_id]
        if row.care_plan_id is not None:
            episode = next((e for e in own if e.pk == row.care_plan_id), None)
            if episode is None:
                errors.append((row.where, f"CarePlan/{row.care_plan_id} is not this patient's."))
                continue
        else:
            open_ = [e for e in own if e.stage != "withdrawn"]
            episode = next((e for e in open_ if e.opened_on <= row.authored), None) or next(
                iter(open_), None
            )
            if episode is None and create_missing is not None:
                episode = create_missing(patient_id, row.authored)
                episodes[patient_id].insert(0, episode)
            if episode is None:
                errors.append(
                    (row.where, "the patient has no open episode (use --create-episodes).")
                )
                continue
        out.append((row, patient_id, episode))
    return out


def assign_missing_timepoints(
    resolved: list[tuple[ResponseRow, int, Episode]], errors: Errors
) -> list[tuple[ResponseRow, int, Episode, str]]:
    missing = [i for i, (row, _, _) in enumerate(resolved) if row.timepoint is None]
    assigned = assign_timepoints(
        [resolved[i][2].surgery_date or resolved[i][2].planned_surgery_date for i in missing],
        [resolved[i][0].authored for i in missing],
    )
    found = dict(zip(missing, assigned.tolist(), strict=True))
    out = []
    for index, (row, patient_id, episode) in enumerate(resolved):
        timepoint = row.timepoint or found.get(index)
        if timepoint is None:
            errors.append(
                (
                    row.where,
                    f"answered {row.authored} outside every follow-up window of the episode; "
                    "give the time point (FHIR extension or CSV event mapping).",
                )
            )
            continue
        out.append((row, patient_id, episode, timepoint))
    return out


def score_rows(
    items: list[tuple[ResponseRow, int, Episode, str]], errors: Errors
) -> list[Prepared]:
    """Score every instrument's rows in one vectorised call; invalid answers become errors."""
    by_instrument: dict[str, list[int]] = defaultdict(list)
    for index, (row, *_rest) in enumerate(items):
        by_instrument[row.instrument_id].append(index)
    prepared: list[Prepared | None] = [None] * len(items)
    for instrument_id, indexes in by_instrument.items():
        instrument = INSTRUMENTS[instrument_id]
        frame = pd.DataFrame.from_records(
            [items[i][0].answers for i in indexes], columns=list(instrument.item_ids)
        )
        result = evaluate_batch(instrument, frame, resolve_options(instrument, {}))
        bad = np.zeros(len(indexes), dtype=bool)
        for message in result.messages:
            if message.part is None:
                bad |= message.mask
        bad_text = result.errors(keep=lambda m: m.mask if m.part is None else m.mask & False)
        reasons = result.errors(keep=lambda m: m.mask if m.part is not None else m.mask & False)
        columns = [(d, result.scores[d.id]) for d in instrument.scores]
        for position, index in enumerate(indexes):
            row, patient_id, episode, timepoint = items[index]
            if bad[position]:
                errors.append((row.where, str(bad_text[position])))
                continue
            scores = {
                d.id: d.convert(float(values[position]))
                for d, values in columns
                if not np.isnan(values[position])
            }
            reason = str(reasons[position])
            prepared[index] = Prepared(
                row, patient_id, episode, timepoint, scores, not reason, reason[:300]
            )
    return [p for p in prepared if p is not None]


def _key(p: Prepared) -> tuple[int, str, str, dt.date]:
    return (p.episode.pk, p.row.instrument_id, p.timepoint, p.row.authored)


def drop_existing(prepared: list[Prepared], errors: Errors) -> tuple[list[Prepared], int]:
    """Remove rows already stored (skipped) and in-file duplicates (errors)."""
    episode_ids = sorted({p.episode.pk for p in prepared})
    stored: set[tuple[int, str, str, dt.date]] = set()
    for start in range(0, len(episode_ids), 10_000):
        stored.update(
            QuestionnaireResponse.objects.filter(
                episode_id__in=episode_ids[start : start + 10_000]
            ).values_list("episode_id", "instrument_id", "timepoint", "responded_on")
        )
    seen: set[tuple[int, str, str, dt.date]] = set()
    fresh, skipped = [], 0
    for p in prepared:
        key = _key(p)
        if key in stored:
            skipped += 1
        elif key in seen:
            errors.append(
                (
                    p.row.where,
                    "duplicate of an earlier row (same episode, instrument, time point and date).",
                )
            )
        else:
            seen.add(key)
            fresh.append(p)
    return fresh, skipped


def write(prepared: list[Prepared], user: Any, progress: Callable[[int], None]) -> list[int]:
    """Insert responses, their Score rows and follow-up completions; returns patient ids."""
    follow_ups = {
        (f.episode_id, f.timepoint): f
        for f in FollowUp.objects.filter(episode_id__in={p.episode.pk for p in prepared})
    }
    user_id = getattr(user, "pk", None)
    completed: dict[int, FollowUp] = {}
    for start in range(0, len(prepared), BATCH):
        chunk = prepared[start : start + BATCH]
        rows = []
        for p in chunk:
            follow_up = follow_ups.get((p.episode.pk, p.timepoint))
            rows.append(
                {
                    "patient_id": p.patient_id,
                    "episode_id": p.episode.pk,
                    "site_id": p.episode.site_id,
                    "follow_up_id": follow_up.pk if follow_up is not None else None,
                    "instrument_id": p.row.instrument_id,
                    "instrument_version": INSTRUMENTS[p.row.instrument_id].version,
                    "timepoint": p.timepoint,
                    "responded_on": p.row.authored,
                    "answers": p.row.answers,
                    "scores": p.scores,
                    "complete": p.complete,
                    "incomplete_reason": p.reason,
                    "entry_mode": p.row.entry_mode,
                    "entered_by_id": user_id,
                }
            )
            if follow_up is not None and p.complete and follow_up.status != "completed":
                follow_up.status, follow_up.completed_on = "completed", p.row.authored
                completed[follow_up.pk] = follow_up
        ids = bulk.insert_rows(QuestionnaireResponse, rows, BATCH)
        bulk.insert_rows(Score, _score_rows(rows, ids), BATCH)
        # Bulk rows send no signals: tell the cohort snapshots which episodes changed.
        mark_changed(episode_ids={int(row["episode_id"]) for row in rows})
        progress(len(chunk))
    _complete_follow_ups(completed.values())
    return sorted({p.patient_id for p in prepared})


def _complete_follow_ups(follow_ups: Iterable[FollowUp]) -> None:
    """Mark follow-ups completed: one UPDATE on PostgreSQL, one per date elsewhere
    (bulk_update's CASE per row is slow at 10,000 rows)."""
    pairs = [(f.pk, f.completed_on) for f in follow_ups]
    if not pairs:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        table = FollowUp._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS f SET status = 'completed', completed_on = v.day, "  # noqa: S608 (table name from the model)
                "updated_at = %s FROM (SELECT unnest(%s::bigint[]) AS id, "
                "unnest(%s::date[]) AS day) AS v WHERE f.id = v.id AND f.status = 'pending'",
                [now, [p for p, _ in pairs], [d for _, d in pairs]],
            )
        return
    by_date: dict[dt.date, list[int]] = defaultdict(list)
    for pk, day in pairs:
        by_date[day].append(pk)
    for day, ids in by_date.items():
        FollowUp.objects.filter(pk__in=ids, status="pending").update(
            status="completed", completed_on=day, updated_at=now
        )


def _score_rows(responses: list[dict[str, Any]], ids: list[int]) -> list[dict[str, Any]]:
    """The Score rows ``services.score_rows`` would make: one per numeric score."""
    rows = []
    for response_id, r in zip(ids, responses, strict=True):
        for measure, value in r["scores"].items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                rows.append(
                    {
                        "response_id": response_id,
                        "patient_id": r["patient_id"],
                        "episode_id": r["episode_id"],
                        "site_id": r["site_id"],
                        "instrument_id": r["instrument_id"],
                        "timepoint": r["timepoint"],
                        "measure": measure,
                        "value": float(value),
                        "responded_on": r["responded_on"],
                    }
                )
    return rows
