"""Bulk Data ``$export`` of one site as NDJSON files, one per resource type.

Runner: the kick-off queues an ExportJob and, by default, runs it in a background thread of the
web process once the request's transaction commits (``FUSIONTRACK_FHIR_EXPORT_RUNNER=thread``).
Deployments that recycle web workers set ``queue`` and run ``fusiontrack fhir-export-worker``
(loops over queued jobs; ``--once`` for cron). No Celery: one table is the queue.

Speed: rows stream from SQL (server-side cursor on PostgreSQL) into the same dict builders that
serve reads, serialised with ``json.dumps``; fhir.resources validation is too slow for the hot
path (~0.1 ms per Observation, ~0.4 ms per QuestionnaireResponse), so a deterministic sample is
validated: the first ``SAMPLE_HEAD`` resources of each file and every ``SAMPLE_EVERY``-th after.
An invalid sample fails the job (no partial manifest).
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from fusiontrack.fhir import build, catalog, validate
from fusiontrack.fhir.models import ExportJob
from fusiontrack.registry import audit
from fusiontrack.registry.models import Score

log = logging.getLogger(__name__)

EXPORT_TYPES = (
    "Patient",
    "Condition",
    "Procedure",
    "QuestionnaireResponse",
    "Observation",
    "CarePlan",
)
SAMPLE_HEAD = 20
SAMPLE_EVERY = 5_000
CHUNK = 5_000


def export_root() -> Path:
    return Path(settings.DATA_DIR) / "fhir-export"


def job_dir(job: ExportJob) -> Path:
    return export_root() / str(job.pk)


def runner() -> str:
    return str(getattr(settings, "FUSIONTRACK_FHIR_EXPORT_RUNNER", "thread"))


def start(job: ExportJob) -> None:
    """Run the job after the kick-off commits (thread runner) or leave it queued."""
    if runner() == "thread":
        job_id = job.pk
        transaction.on_commit(
            lambda: threading.Thread(target=_thread_main, args=(job_id,), daemon=True).start()
        )


def _thread_main(job_id: Any) -> None:
    close_old_connections()
    try:
        run(job_id)
    finally:
        connection.close()


# -- streams of resources -----------------------------------------------------------------------


def _observations(job: ExportJob) -> Iterator[build.Resource]:
    qs = Score.objects.filter(site_id=job.site_id)
    if job.since is not None:
        qs = qs.filter(response__updated_at__gt=job.since)
    rows = (
        qs.order_by("pk")
        .annotate(
            band=KeyTextTransform("odi_band", "response__scores"),
            work=KeyTextTransform("work_status", "response__scores"),
        )
        .values_list(
            "pk",
            "patient_id",
            "response_id",
            "measure",
            "value",
            "responded_on",
            "response__updated_at",
            "band",
            "work",
        )
    )
    for pk, patient, response, measure, value, day, updated, band, work in rows.iterator(CHUNK):
        yield build.observation(
            build.ScoreRow(
                pk,
                patient,
                response,
                measure,
                value,
                day,
                updated,
                {"odi_band": band, "work_status": work},
            )
        )


def _rows(job: ExportJob, resource_type: str) -> Iterator[build.Resource]:
    if resource_type == "Observation":
        yield from _observations(job)
        return
    served = catalog.served(resource_type)
    qs = served.queryset([job.site_id])
    if job.since is not None:
        qs = qs.filter(**{f"{served.updated_field}__gt": job.since})
    for row in qs.order_by("pk").iterator(chunk_size=CHUNK):
        yield from served.build_page([row])


def write_ndjson(path: Path, resources: Iterator[build.Resource]) -> int:
    """Write one resource per line; validate the sample. Returns the count."""
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    buffer: list[str] = []
    with path.open("w", encoding="utf-8") as handle:
        for resource in resources:
            if count < SAMPLE_HEAD or count % SAMPLE_EVERY == 0:
                validate.validate(resource)
            buffer.append(dumps(resource))
            count += 1
            if len(buffer) >= CHUNK:
                handle.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            handle.write("\n".join(buffer) + "\n")
    return count


def _set(job: ExportJob, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    ExportJob.objects.filter(pk=job.pk).update(**fields)


def run(job_id: Any) -> ExportJob:
    """Run one queued job to completion (or failure); safe to call from any process."""
    claimed = ExportJob.objects.filter(pk=job_id, status="queued").update(
        status="running", started_at=timezone.now()
    )
    job = ExportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    directory = job_dir(job)
    directory.mkdir(parents=True, exist_ok=True)
    output = []
    try:
        for resource_type in job.types:
            if ExportJob.objects.filter(pk=job.pk, status="cancelled").exists():
                shutil.rmtree(directory, ignore_errors=True)
                return ExportJob.objects.get(pk=job.pk)
            _set(job, progress=f"exporting {resource_type}")
            path = directory / f"{resource_type}.ndjson"
            count = write_ndjson(path, _rows(job, resource_type))
            output.append({"type": resource_type, "file": path.name, "count": count})
        _set(job, status="completed", output=output, finished_at=timezone.now(), progress="done")
    except validate.InvalidResource as exc:
        log.error("FHIR export %s produced an invalid resource: %s", job.pk, exc)
        _set(job, status="failed", error=str(exc)[:2000], finished_at=timezone.now())
    except Exception as exc:
        log.exception("FHIR export %s failed", job.pk)
        _set(
            job,
            status="failed",
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    return job


def run_queued(limit: int | None = None) -> int:
    """Run queued jobs oldest first (the worker command); returns how many ran."""
    done = 0
    for job_id in (
        ExportJob.objects.filter(status="queued")
        .order_by("created_at")
        .values_list("pk", flat=True)
    ):
        run(job_id)
        done += 1
        if limit is not None and done >= limit:
            break
    return done


def cancel(job: ExportJob) -> None:
    _set(job, status="cancelled", finished_at=timezone.now())
    shutil.rmtree(job_dir(job), ignore_errors=True)


def audit_export(request: Any, job: ExportJob, role: str, action: str = "read") -> None:
    """Issue 6: an export is audited (one entry per kick-off and per file download)."""
    audit.record(request, action, job, patient_id=None, site_id=job.site_id, role=role)
