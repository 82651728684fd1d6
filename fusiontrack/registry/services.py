"""State changes of the registry, each one transaction with its audit entry.

Views validate and authorise, then call these. They keep the denormalised copies in step
(``Episode.site``/``surgery_date``, Score rows, FollowUp status) so queries stay single-table.
Bulk loaders (the demo cohort) may build rows directly with ``score_rows`` and
``follow_up_rows`` to get the same copies without one transaction per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from fusiontrack.registry import audit
from fusiontrack.registry.models import (
    Diagnosis,
    Episode,
    FollowUp,
    Membership,
    Operation,
    Patient,
    QuestionnaireResponse,
    ReferenceTrajectory,
    Score,
    Site,
    StageEvent,
)

#: Stages before the operation: a baseline questionnaire is expected by the time of surgery.
PRE_OPERATIVE_STAGES = ("evaluation", "conservative_care", "surgical_decision", "preparation")


class StaleRecord(Exception):
    """Someone else saved the record after this editor loaded it (optimistic concurrency)."""


def _ids(obj: models.Model) -> tuple[int | None, int | None]:
    """(patient id, site id) of any patient-related record, for the audit entry."""
    if isinstance(obj, Patient):
        return obj.pk, obj.site_id
    if isinstance(obj, Episode | QuestionnaireResponse | FollowUp):
        return obj.patient_id, obj.site_id
    episode = getattr(obj, "episode", None)
    if episode is not None:
        return episode.patient_id, episode.site_id
    return None, None


def _audit(request: HttpRequest | None, action: str, obj: models.Model, role: str, **kw: Any):
    patient_id, site_id = _ids(obj)
    return audit.record(
        request, action, obj, patient_id=patient_id, site_id=site_id, role=role, **kw
    )


def audit_read(request: HttpRequest, obj: models.Model, role: str) -> None:
    """A page showing identifiable data was viewed."""
    _audit(request, "read", obj, role)


def audit_list(request: HttpRequest, page: str, patient_ids: Iterable[int | None]) -> None:
    """A list page (worklist, patient list) showed these patients' names: one entry per page."""
    shown = sorted({pid for pid in patient_ids if pid is not None})
    audit.record_event(
        request,
        "read",
        page,
        detail={"patients_shown": shown, "query": request.GET.urlencode()[:500]},
    )


@transaction.atomic
def create_record(request: HttpRequest | None, obj: models.Model, *, role: str) -> models.Model:
    obj.save()
    _audit(request, "create", obj, role, changes=audit.diff({}, audit.snapshot(obj)))
    _after_change(obj)
    return obj


@transaction.atomic
def update_record(
    request: HttpRequest | None,
    obj: models.Model,
    *,
    before: Mapping[str, Any],
    expected_version: int | None,
    role: str,
) -> models.Model:
    """Save an edited record unless it changed since the editor loaded it."""
    model = type(obj)
    current = model._default_manager.select_for_update().filter(pk=obj.pk).values("version")
    row = current.first()
    if row is None:
        raise StaleRecord("This record was deleted while you were editing it.")
    if expected_version is not None and row["version"] != expected_version:
        raise StaleRecord(
            "Someone else saved this record while you were editing it. Reload the page to see "
            "their changes, then make yours again."
        )
    obj.version = row["version"] + 1  # type: ignore[attr-defined]
    obj.save()
    changes = audit.diff(dict(before), audit.snapshot(obj))
    changes.pop("version", None)
    _audit(request, "update", obj, role, changes=changes)
    _after_change(obj)
    return obj


@transaction.atomic
def delete_record(request: HttpRequest | None, obj: models.Model, *, role: str) -> None:
    removed = {name: [value, None] for name, value in audit.snapshot(obj).items()}
    _audit(request, "delete", obj, role, changes=removed)
    episode = getattr(obj, "episode", None)
    obj.delete()
    if isinstance(obj, Operation) and episode is not None:
        sync_surgery_date(episode)


def _after_change(obj: models.Model) -> None:
    if isinstance(obj, Operation):
        sync_surgery_date(obj.episode)
    elif isinstance(obj, Episode):
        schedule_follow_ups(obj)


@transaction.atomic
def create_episode(
    request: HttpRequest | None, episode: Episode, *, role: str, user: Any = None
) -> Episode:
    """A new episode starts its stage history at its first stage."""
    episode.site_id = episode.patient.site_id
    episode.stage_entered_on = episode.stage_entered_on or episode.opened_on
    episode.save()
    StageEvent.objects.create(
        episode=episode,
        stage=episode.stage,
        entered_on=episode.stage_entered_on,
        recorded_by=user if user is not None else getattr(request, "user", None),
    )
    _audit(request, "create", episode, role, changes=audit.diff({}, audit.snapshot(episode)))
    return episode


@transaction.atomic
def change_stage(
    request: HttpRequest | None,
    episode: Episode,
    *,
    stage: str,
    entered_on: dt.date,
    note: str = "",
    role: str,
    user: Any = None,
) -> StageEvent:
    before = audit.snapshot(episode, ["stage", "stage_entered_on", "withdrawn_reason"])
    event = StageEvent.objects.create(
        episode=episode,
        stage=stage,
        entered_on=entered_on,
        note=note,
        recorded_by=user if user is not None else getattr(request, "user", None),
    )
    episode.stage = stage
    episode.stage_entered_on = entered_on
    if stage == "withdrawn":
        episode.withdrawn_reason = note
    episode.version += 1
    episode.save(update_fields=["stage", "stage_entered_on", "withdrawn_reason", "version"])
    after = audit.snapshot(episode, ["stage", "stage_entered_on", "withdrawn_reason"])
    _audit(request, "update", episode, role, changes=audit.diff(before, after))
    return event


def sync_surgery_date(episode: Episode) -> None:
    """Copy the (first) operation date onto the episode and (re)schedule its follow-ups."""
    first = (
        Operation.objects.filter(episode=episode)
        .order_by("operation_date")
        .values_list("operation_date", flat=True)
        .first()
    )
    if episode.surgery_date != first:
        episode.surgery_date = first
        episode.save(update_fields=["surgery_date"])
    schedule_follow_ups(episode)


def _schedule_windows(surgery_date: dt.date) -> list[tuple[str, dt.date, dt.date, dt.date]]:
    """(timepoint, due, window opens, window closes) from the core's default schedule."""
    from fusiontrack.registry.scheduling import windows

    return windows(surgery_date)


def follow_up_rows(episode: Episode) -> list[FollowUp]:
    """Unsaved FollowUp rows for an episode with a surgery date, actual or else planned
    (for bulk loaders)."""
    surgery = episode.surgery_date or episode.planned_surgery_date
    if surgery is None:
        return []
    return [
        FollowUp(
            episode=episode,
            patient_id=episode.patient_id,
            site_id=episode.site_id,
            timepoint=timepoint,
            due_on=due,
            window_opens_on=opens,
            window_closes_on=closes,
        )
        for timepoint, due, opens, closes in _schedule_windows(surgery)
    ]


@transaction.atomic
def schedule_follow_ups(episode: Episode) -> list[FollowUp]:
    """Create or re-date the episode's follow-ups; completed and missed ones keep their state."""
    if episode.surgery_date is None and episode.planned_surgery_date is None:
        FollowUp.objects.filter(episode=episode, status="pending").delete()
        return []
    existing = {f.timepoint: f for f in FollowUp.objects.filter(episode=episode)}
    done = set(
        QuestionnaireResponse.objects.filter(episode=episode, complete=True).values_list(
            "timepoint", flat=True
        )
    )
    result = []
    for row in follow_up_rows(episode):
        current = existing.get(row.timepoint)
        if current is None:
            if row.timepoint in done:
                row.status = "completed"
            row.save()
            current = row
        elif current.status == "pending":
            current.due_on = row.due_on
            current.window_opens_on = row.window_opens_on
            current.window_closes_on = row.window_closes_on
            current.save()
        result.append(current)
    return result


def score_rows(response: QuestionnaireResponse) -> list[Score]:
    """Unsaved Score rows mirroring the numeric scores of a response."""
    return [
        Score(
            response=response,
            patient_id=response.patient_id,
            episode_id=response.episode_id,
            site_id=response.site_id,
            instrument_id=response.instrument_id,
            timepoint=response.timepoint,
            measure=measure,
            value=float(value),
            responded_on=response.responded_on,
        )
        for measure, value in response.scores.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]


def score_answers(instrument_id: str, answers: Mapping[str, Any]) -> Any:
    """The core's ScoreResult (raises the core's ScoringError on a bad answer)."""
    from fusiontrack.core.instruments import score

    return score(instrument_id, dict(answers))


@transaction.atomic
def save_response(
    request: HttpRequest | None,
    *,
    episode: Episode,
    instrument_id: str,
    timepoint: str,
    responded_on: dt.date,
    answers: Mapping[str, Any],
    entry_mode: str,
    role: str,
    entered_by: Any = None,
) -> QuestionnaireResponse:
    """Score answers with the core and store the response, its Score rows and follow-up state."""
    result = score_answers(instrument_id, answers)
    follow_up = FollowUp.objects.filter(episode=episode, timepoint=timepoint).first()
    response = QuestionnaireResponse.objects.create(
        patient_id=episode.patient_id,
        episode=episode,
        site_id=episode.site_id,
        follow_up=follow_up,
        instrument_id=instrument_id,
        instrument_version=str(result.version),
        timepoint=timepoint,
        responded_on=responded_on,
        answers=dict(answers),
        scores=_plain_scores(result.scores),
        complete=bool(result.complete),
        incomplete_reason=(result.reason or "")[:300] if not result.complete else "",
        entry_mode=entry_mode,
        entered_by=entered_by if entered_by is not None else getattr(request, "user", None),
    )
    Score.objects.bulk_create(score_rows(response))
    if follow_up is not None and response.complete and follow_up.status != "completed":
        follow_up.status = "completed"
        follow_up.completed_on = responded_on
        follow_up.save(update_fields=["status", "completed_on", "updated_at"])
    _audit(
        request,
        "create",
        response,
        role,
        changes={"instrument_id": [None, instrument_id], "timepoint": [None, timepoint]},
    )
    return response


class ReasonRequired(Exception):
    """A completed questionnaire may only be changed with a stated reason (21 CFR 11.10(e))."""


@transaction.atomic
def amend_response(
    request: HttpRequest | None,
    response: QuestionnaireResponse,
    *,
    answers: Mapping[str, Any],
    reason: str,
    expected_version: int | None,
    role: str,
) -> QuestionnaireResponse:
    """Correct the answers of a stored response: rescored, Score rows replaced, old and new
    answers and the reason in the audit entry. A completed response needs a reason."""
    reason = reason.strip()
    if response.complete and not reason:
        raise ReasonRequired(
            "This questionnaire is complete. Say why you are changing it (for example: "
            "'transcription error, paper form item 3 reads 2')."
        )
    row = (
        QuestionnaireResponse.objects.select_for_update()
        .filter(pk=response.pk)
        .values("version")
        .first()
    )
    if row is None:
        raise StaleRecord("This questionnaire response was deleted while you were editing it.")
    if expected_version is not None and row["version"] != expected_version:
        raise StaleRecord(
            "Someone else saved this questionnaire while you were editing it. Reload the page "
            "to see their changes, then make yours again."
        )
    before = audit.snapshot(response, ["answers", "scores", "complete", "incomplete_reason"])
    result = score_answers(response.instrument_id, answers)
    response.answers = dict(answers)
    response.scores = _plain_scores(result.scores)
    response.complete = bool(result.complete)
    response.incomplete_reason = (result.reason or "")[:300] if not result.complete else ""
    response.version = row["version"] + 1
    response.save()
    Score.objects.filter(response=response).delete()
    Score.objects.bulk_create(score_rows(response))
    after = audit.snapshot(response, ["answers", "scores", "complete", "incomplete_reason"])
    _audit(request, "update", response, role, changes=audit.diff(before, after), reason=reason)
    return response


def _plain_scores(scores: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (numpy numbers and NaN become plain floats / None)."""
    out: dict[str, Any] = {}
    for key, value in scores.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and value != value:  # NaN
            value = None
        out[str(key)] = value
    return out


def _score_frame(chunk_rows: int = 200_000) -> Any:
    """Every Score row as a compact DataFrame (categorical codes, float values).

    Read in chunks so a registry of 100,000 patients (millions of scores) never holds millions
    of Python tuples at once: that took 1.9 GB in registry_bench before.
    """
    import itertools

    import pandas as pd

    columns = ["episode_id", "measure", "timepoint", "value"]
    rows = Score.objects.values_list(*columns).iterator(chunk_size=20_000)
    chunks = []
    while batch := list(itertools.islice(rows, chunk_rows)):
        frame = pd.DataFrame.from_records(batch, columns=columns)
        chunks.append(frame.astype({"measure": "category", "timepoint": "category"}))
    if not chunks:
        return pd.DataFrame(columns=columns)
    return pd.concat(chunks, ignore_index=True).astype(
        {"measure": "category", "timepoint": "category"}
    )


def refresh_reference_trajectories(*, min_n: int = 5) -> int:
    """Recompute the median/IQR per measure, time point and primary diagnosis (and overall).

    One pass over the Score table in pandas; run after loading data and nightly. Returns the
    number of rows written. Groups with fewer than ``min_n`` patients are not stored.
    """
    import pandas as pd

    scores = _score_frame()
    now = timezone.now()
    rows: list[ReferenceTrajectory] = []
    if not scores.empty:
        diagnoses = pd.DataFrame.from_records(
            Diagnosis.objects.filter(is_primary=True).values_list("episode_id", "diagnosis"),
            columns=["episode_id", "diagnosis"],
        ).drop_duplicates("episode_id")
        scores = scores.merge(diagnoses, on="episode_id", how="left")
        # One value per episode, measure and time point (the mean of repeats).
        per_episode = scores.groupby(
            ["episode_id", "measure", "timepoint"], as_index=False, dropna=False, observed=True
        ).agg(value=("value", "mean"), diagnosis=("diagnosis", "first"))
        per_episode["group"] = "diagnosis:" + per_episode["diagnosis"].fillna("unknown")
        overall = per_episode.assign(group="all")
        both = pd.concat([overall, per_episode], ignore_index=True)
        stats = both.groupby(["measure", "group", "timepoint"], observed=True)["value"].describe(
            percentiles=[0.25, 0.5, 0.75]
        )
        for (measure, group, timepoint), row in stats.iterrows():
            if row["count"] < min_n:
                continue
            rows.append(
                ReferenceTrajectory(
                    measure=measure,
                    group=group,
                    timepoint=timepoint,
                    n=int(row["count"]),
                    p25=float(row["25%"]),
                    median=float(row["50%"]),
                    p75=float(row["75%"]),
                    computed_at=now,
                )
            )
    with transaction.atomic():
        ReferenceTrajectory.objects.all().delete()
        ReferenceTrajectory.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def create_staff_user(
    username: str,
    *,
    password: str | None,
    memberships: Iterable[tuple[Site, str]] | Sequence[tuple[Site, str]],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_superuser: bool = False,
) -> Any:
    """A staff login with its role at each site (password None: unusable until set)."""
    user_model = get_user_model()
    user = user_model.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    Membership.objects.bulk_create(
        [Membership(user=user, site=site, role=role) for site, role in memberships]
    )
    return user
