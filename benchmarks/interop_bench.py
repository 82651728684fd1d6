"""Interoperability throughput on PostgreSQL (issue 7 §5), each beside a floor from the same run.

* Import of 100,000 FHIR QuestionnaireResponses (NDJSON, ODI and NRS, 10,000 patients × 5 time
  points) through ``fusiontrack.interop.importer`` — parsing, validation, patient/episode
  resolution, vectorised scoring, idempotency check, bulk insert of responses, Score rows and
  follow-up state, audit. Target ≥ 2,000 resources/s. Floor: PostgreSQL ``COPY FROM`` of the
  same response and score rows into empty copies of the two tables (same indexes).
* Bulk ``$export`` of 600,000 Observations (``fusiontrack.fhir.export.run``): streamed from SQL,
  built as dicts, serialised, a sample validated with fhir.resources. Target ≥ 10,000
  resources/s. Floor: ``COPY (SELECT the same columns) TO`` a file.

Uses its own database (``FUSIONTRACK_BENCH_INTEROP_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/fusiontrack_bench_interop), dropped and recreated each run.
Synthetic data, seeded. Not a test: prints a table, asserts nothing about time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from benchmarks._pg import recreate_database

N_PATIENTS = 10_000
TIMEPOINTS = {"baseline": -20, "6w": 42, "3m": 91, "6m": 182, "12m": 365}
N_OBSERVATIONS = 600_000
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fusiontrack_bench_interop"
CANONICAL = os.environ.get(
    "FUSIONTRACK_FHIR_CANONICAL_BASE", "https://fusiontrack.example/fhir"
).rstrip("/")


def _setup(url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["FUSIONTRACK_DATA_DIR"] = data_dir
    os.environ.setdefault("FUSIONTRACK_ENV", "development")
    from fusiontrack import djangoenv

    djangoenv.setup()
    import dj_database_url
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    # Another benchmark in the same process may have configured Django first: point the
    # default connection (and the export directory) at this benchmark's own database.
    connections["default"].close()
    connections["default"].settings_dict.update(dj_database_url.parse(url))
    settings.DATA_DIR = Path(data_dir)

    call_command("migrate", verbosity=0)


def _cohort() -> tuple[object, object]:
    """Site, user, N_PATIENTS patients each with an operated episode and follow-ups."""
    from fusiontrack.registry import services
    from fusiontrack.registry.models import Episode, FollowUp, Patient, Site

    site = Site.objects.create(code="bench", name="Bench Hospital")
    user = services.create_staff_user("bench", password=None, memberships=[(site, "coordinator")])
    rng = random.Random(7)
    base = dt.date(2023, 1, 1)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                site=site,
                mrn=f"B{i:06d}",
                given_name="Synthetic",
                family_name=f"Patient{i}",
                date_of_birth=dt.date(1950 + i % 30, 1 + i % 12, 1 + i % 28),
                sex=("female", "male")[i % 2],
            )
            for i in range(N_PATIENTS)
        ],
        batch_size=5000,
    )
    episodes = Episode.objects.bulk_create(
        [
            Episode(
                patient=p,
                site=site,
                title="L4–L5 TLIF",
                stage="recovery",
                stage_entered_on=base,
                opened_on=base - dt.timedelta(days=120),
                surgery_date=base + dt.timedelta(days=rng.randrange(0, 300)),
            )
            for p in patients
        ],
        batch_size=5000,
    )
    follow_ups = [row for e in episodes for row in services.follow_up_rows(e)]
    FollowUp.objects.bulk_create(follow_ups, batch_size=5000)
    return site, user


def _responses_ndjson(path: Path) -> int:
    """100,000 QuestionnaireResponses as another system would send them (seeded answers)."""
    from fusiontrack.registry.models import Episode

    rng = random.Random(11)
    count = 0
    mrn_system = f"{CANONICAL}/sid/mrn/bench"
    with path.open("w", encoding="utf-8") as handle:
        for mrn, surgery in Episode.objects.values_list("patient__mrn", "surgery_date").order_by(
            "patient__mrn"
        ):
            for timepoint, offset in TIMEPOINTS.items():
                authored = (surgery + dt.timedelta(days=offset)).isoformat()
                head = {
                    "resourceType": "QuestionnaireResponse",
                    "status": "completed",
                    "subject": {"identifier": {"system": mrn_system, "value": mrn}},
                    "authored": authored,
                    "extension": [
                        {
                            "url": f"{CANONICAL}/StructureDefinition/timepoint",
                            "valueCode": timepoint,
                        }
                    ],
                }
                odi = {
                    **head,
                    "questionnaire": f"{CANONICAL}/Questionnaire/odi|2.1a",
                    "item": [
                        {
                            "linkId": f"odi_{i}",
                            "answer": [{"valueCoding": {"code": str(rng.randrange(6))}}],
                        }
                        for i in range(1, 11)
                    ],
                }
                nrs = {
                    **head,
                    "questionnaire": f"{CANONICAL}/Questionnaire/nrs|1",
                    "item": [
                        {"linkId": "nrs_back", "answer": [{"valueInteger": rng.randrange(11)}]},
                        {"linkId": "nrs_leg", "answer": [{"valueInteger": rng.randrange(11)}]},
                    ],
                }
                handle.write(json.dumps(odi) + "\n" + json.dumps(nrs) + "\n")
                count += 2
    return count


def _copy_floor(tables: list[str]) -> tuple[float, int]:
    """COPY the rows of ``tables`` out (untimed), then time COPY FROM into empty clones."""
    from django.db import connection

    buffers = {}
    with connection.cursor() as cursor:
        raw = cursor.connection
        for table in tables:
            out = io.BytesIO()
            with raw.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    out.write(block)
            buffers[table] = out.getvalue()
            cursor.execute(f"DROP TABLE IF EXISTS floor_{table}")
            cursor.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
        raw.commit() if not raw.autocommit else None
        started = time.perf_counter()
        rows = 0
        for table in tables:
            with raw.cursor().copy(f"COPY floor_{table} FROM STDIN") as copy:
                copy.write(buffers[table])
            rows += buffers[table].count(b"\n")
        raw.commit() if not raw.autocommit else None
        elapsed = time.perf_counter() - started
        for table in tables:
            cursor.execute(f"DROP TABLE floor_{table}")
    return elapsed, rows


def _bench_import(site: object, user: object, path: Path) -> tuple[float, int]:
    from fusiontrack.interop.importer import Options, run_import

    started = time.perf_counter()
    report = run_import(path, Options(site=site, user=user))
    elapsed = time.perf_counter() - started
    if report.errors:
        raise SystemExit(f"import reported errors: {report.errors[:3]}")
    return elapsed, report.created_responses


def _grow_scores(target: int) -> int:
    """Duplicate Score rows (new ids, same responses) until there are ``target``."""
    from django.db import connection

    from fusiontrack.registry.models import Score

    columns = (
        "response_id, patient_id, episode_id, site_id, instrument_id, timepoint, measure, "
        "value, responded_on"
    )
    with connection.cursor() as cursor:
        while (have := Score.objects.count()) < target:
            cursor.execute(
                f"INSERT INTO registry_score ({columns}) SELECT {columns} FROM registry_score "
                f"ORDER BY id LIMIT %s",
                [target - have],
            )
        cursor.execute("ANALYZE registry_score")
    return Score.objects.count()


def _bench_export(site: object, user: object) -> tuple[float, int, Path]:
    from django.utils import timezone

    from fusiontrack.fhir import export
    from fusiontrack.fhir.models import ExportJob

    job = ExportJob.objects.create(
        user=user,
        site=site,
        request_url="bench",
        types=["Observation"],
        transaction_time=timezone.now(),
    )
    started = time.perf_counter()
    export.run(job.pk)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != "completed":
        raise SystemExit(f"export failed: {job.error}")
    return elapsed, job.output[0]["count"], export.job_dir(job) / "Observation.ndjson"


def _export_floor(path: Path) -> tuple[float, int]:
    from django.db import connection

    query = (
        "COPY (SELECT s.id, s.patient_id, s.response_id, s.measure, s.value, s.responded_on, "
        "r.updated_at, r.scores->>'odi_band', r.scores->>'work_status' FROM registry_score s "
        "JOIN registry_questionnaireresponse r ON r.id = s.response_id ORDER BY s.id) TO STDOUT"
    )
    started = time.perf_counter()
    rows = 0
    with (
        connection.cursor() as cursor,
        path.open("wb") as handle,
        cursor.connection.cursor().copy(query) as copy,
    ):
        for block in copy:
            handle.write(block)
            rows += bytes(block).count(b"\n")
    return time.perf_counter() - started, rows


def _line(what: str, n: int, seconds: float, floor_s: float, target: int) -> str:
    rate, floor_rate = n / seconds, n / floor_s
    verdict = "meets" if rate >= target else "BELOW"
    return (
        f"{what:<34} {n:>8,} {seconds:>8.1f} s {rate:>10,.0f}/s   floor {floor_rate:>10,.0f}/s"
        f" ({rate / floor_rate:5.1%})   target {target:,}/s: {verdict}"
    )


def main() -> None:
    url = os.environ.get("FUSIONTRACK_BENCH_INTEROP_DATABASE_URL", DEFAULT_URL)
    with tempfile.TemporaryDirectory(prefix="fusiontrack-interop-bench-") as tmp:
        if not recreate_database(url):
            return
        _setup(url, tmp)
        site, user = _cohort()
        ndjson = Path(tmp) / "responses.ndjson"
        written = _responses_ndjson(ndjson)
        import_s, imported = _bench_import(site, user, ndjson)
        assert imported == written
        copy_s, copied = _copy_floor(["registry_questionnaireresponse", "registry_score"])
        scores = _grow_scores(N_OBSERVATIONS)
        export_s, exported, _ = _bench_export(site, user)
        floor_s, floor_rows = _export_floor(Path(tmp) / "floor.tsv")
        assert floor_rows == exported == scores
        print(f"PostgreSQL {urlparse(url).path.lstrip('/')}; {N_PATIENTS:,} synthetic patients")
        print(_line("import QuestionnaireResponses", imported, import_s, copy_s, 2_000))
        print(f"{'':<34} (floor: COPY FROM of the {copied:,} response + score rows written)")
        print(_line("$export Observations", exported, export_s, floor_s, 10_000))
        print(f"{'':<34} (floor: COPY TO of the same {floor_rows:,} rows and columns)")


if __name__ == "__main__":
    main()
