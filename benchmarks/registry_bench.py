"""Registry pages at scale (issue 3 §6): the worklist and the patient page rendered server-side
with 100,000 synthetic patients in PostgreSQL, beside a floor measured in the same run.

What runs:

* PostgreSQL database ``fusiontrack_bench_registry`` (``FUSIONTRACK_BENCH_DATABASE_URL`` to
  change it), dropped and re-created, migrated, then loaded with the synthetic cohort
  (``fusiontrack.demo.load_demo``: 100,000 patients, about 950,000 questionnaire responses and
  2.7 million Score rows), then ``VACUUM ANALYZE``. ``--reuse`` keeps a database already loaded
  with the same number of patients (the load takes minutes).
* The pages through Django's test ``Client`` in this process (full middleware, sessions, auth,
  audit writes, template rendering; DEBUG off), logged in as the demo ``surgeon``: the worklist
  (first page, all three tab counts) and the patient page of the largest and of the smallest
  record at the surgeon's site. ``--repeat`` timed requests each after 5 warm-up requests;
  p50/p95 in milliseconds and the number of SQL queries of one request.
* The floor: one hand-written SQL query that fetches the same data the page shows (the
  worklist rows and tab counts; the patient, the episode and every record on the patient page
  as JSON), timed the same way. The page's time minus the floor is what Django, the ORM and
  rendering cost.

Run: ``python -m benchmarks registry`` or ``python benchmarks/registry_bench.py --patients 20000``.
Prints a table; never asserts on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._pg import recreate_database

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: import this checkout's fusiontrack
    sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/fusiontrack_bench_registry"
SEED = 20261124
WARMUP = 5

WORKLIST_FLOOR_SQL = """
SELECT f.id, f.timepoint, f.due_on, f.window_opens_on, f.window_closes_on, f.status,
       p.id, p.given_name, p.family_name, p.mrn, e.id, e.title,
       (SELECT count(*) FROM registry_followup f2
         WHERE f2.site_id IN ({sites}) AND f2.status = 'pending'
           AND f2.window_opens_on <= %(today)s AND f2.window_closes_on >= %(today)s),
       (SELECT count(*) FROM registry_episode e2
         WHERE e2.site_id IN ({sites})
           AND e2.stage IN ('surgical_decision', 'preparation')
           AND NOT EXISTS (SELECT 1 FROM registry_questionnaireresponse r
                            WHERE r.episode_id = e2.id AND r.timepoint = 'baseline')),
       (SELECT count(*) FROM registry_episode e3
         WHERE e3.site_id IN ({sites}) AND (
               (e3.stage = 'evaluation' AND e3.stage_entered_on < %(today)s - 60)
            OR (e3.stage = 'conservative_care' AND e3.stage_entered_on < %(today)s - 180)
            OR (e3.stage = 'surgical_decision' AND e3.stage_entered_on < %(today)s - 60)
            OR (e3.stage = 'preparation' AND e3.stage_entered_on < %(today)s - 90)
            OR (e3.stage = 'surgery' AND e3.stage_entered_on < %(today)s - 14)))
FROM registry_followup f
JOIN registry_patient p ON p.id = f.patient_id
JOIN registry_episode e ON e.id = f.episode_id
WHERE f.site_id IN ({sites}) AND f.status = 'pending'
  AND f.window_opens_on <= %(today)s AND f.window_closes_on >= %(today)s
ORDER BY f.due_on, f.id
LIMIT 50
"""

_EPISODE_TABLES = (
    "diagnosis",
    "imagingstudy",
    "conservativetreatment",
    "surgicaldecision",
    "preoperativeassessment",
    "operation",
    "hospitalstay",
    "complication",
    "reoperation",
    "fusionassessment",
    "returntowork",
    "stageevent",
    "followup",
)
PATIENT_FLOOR_SQL = (
    "SELECT row_to_json(p), row_to_json(e), "
    + ", ".join(
        f"(SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM registry_{table} t "
        "WHERE t.episode_id = e.id)"
        for table in _EPISODE_TABLES
    )
    + """,
  (SELECT coalesce(json_agg(json_build_object('id', r.id, 'instrument', r.instrument_id,
          'timepoint', r.timepoint, 'on', r.responded_on, 'scores', r.scores,
          'complete', r.complete, 'mode', r.entry_mode) ORDER BY r.responded_on, r.id), '[]')
     FROM registry_questionnaireresponse r WHERE r.episode_id = e.id),
  (SELECT coalesce(json_agg(rt), '[]') FROM registry_referencetrajectory rt
     WHERE rt."group" IN ('all', 'diagnosis:' || (
           SELECT d.diagnosis FROM registry_diagnosis d
            WHERE d.episode_id = e.id AND d.is_primary ORDER BY d.id LIMIT 1)))
FROM registry_patient p JOIN registry_episode e ON e.patient_id = p.id
WHERE p.id = %(patient)s
ORDER BY e.opened_on DESC, e.id DESC
LIMIT 1
"""
)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="registry_bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--patients", type=int, default=int(os.environ.get("FUSIONTRACK_BENCH_PATIENTS", 100_000))
    )
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page")
    parser.add_argument(
        "--database-url", default=os.environ.get("FUSIONTRACK_BENCH_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        default=os.environ.get("FUSIONTRACK_BENCH_REUSE") == "1",
        help="keep a database already loaded with this many patients",
    )
    return parser.parse_args(argv)


def _database_exists(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["FUSIONTRACK_ENV"] = "development"  # plain static storage; DEBUG forced off below
    os.environ["FUSIONTRACK_DEBUG"] = "0"
    os.environ.setdefault("FUSIONTRACK_DATA_DIR", tempfile.mkdtemp(prefix="ft-registry-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fusiontrack.settings")
    import django

    django.setup()


def _load(patients: int, reuse: bool) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fusiontrack import demo
    from fusiontrack.registry.models import Patient

    call_command("migrate", interactive=False, verbosity=0)
    if reuse and Patient.objects.count() == patients:
        print(f"reusing the loaded database ({patients:,} patients)")
    else:
        print(f"loading {patients:,} synthetic patients…", flush=True)
        report = demo.load_demo(patients=patients, seed=SEED, as_of=timezone.localdate())
        parts = ", ".join(f"{k} {v:.1f}" for k, v in report.timings.items())
        print(
            f"loaded {report.patients:,} patients, {report.responses:,} responses, "
            f"{report.scores:,} scores ({report.rows:,} rows) in {report.seconds:.1f} s [{parts}]"
        )
    demo.ensure_demo_logins()
    started = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE {time.perf_counter() - started:.1f} s")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    for _ in range(WARMUP):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples)


def _count_queries(fn: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def _page(client: Any, url: str) -> Callable[[], Any]:
    def get() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return get


def _sql(query: str, params: dict[str, Any]) -> Callable[[], Any]:
    from django.db import connection

    def run() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    return run


def _patients_to_show(site_ids: list[int]) -> tuple[int, int, int, int]:
    """(largest patient id, its record size, smallest patient id, its size) at these sites."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.patient_id,
                   (SELECT count(*) FROM registry_questionnaireresponse r
                     WHERE r.episode_id = e.id)
                 + (SELECT count(*) FROM registry_stageevent s WHERE s.episode_id = e.id)
                 + (SELECT count(*) FROM registry_complication c WHERE c.episode_id = e.id)
                 + (SELECT count(*) FROM registry_conservativetreatment t
                     WHERE t.episode_id = e.id) AS size
            FROM registry_episode e
            WHERE e.site_id = ANY(%s) AND e.id %% 97 = 0
            ORDER BY size DESC, e.patient_id
            """,
            [site_ids],
        )
        rows = cursor.fetchall()
    return rows[0][0], rows[0][1], rows[-1][0], rows[-1][1]


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv or [])
    url = args.database_url
    if not (args.reuse and _database_exists(url)) and not recreate_database(url):
        return 0
    _setup_django(url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        print("skipped: the registry benchmark needs PostgreSQL")
        return 0
    _load(args.patients, args.reuse)
    surgeon = get_user_model().objects.get(username="surgeon")
    site_ids = list(surgeon.memberships.values_list("site_id", flat=True))
    client = Client(SERVER_NAME="localhost")
    client.force_login(surgeon)
    today = timezone.localdate()
    big, big_size, small, small_size = _patients_to_show(site_ids)

    rows: list[tuple[str, tuple[float, float], int, tuple[float, float]]] = []
    pages = [
        (
            "worklist",
            "/worklist/",
            # The site ids are integers read from the database: inlined as Django inlines IN.
            WORKLIST_FLOOR_SQL.format(sites=", ".join(str(int(i)) for i in site_ids)),
            {"today": today},
        ),
        (
            f"patient page, {big_size} records",
            f"/patients/{big}/",
            PATIENT_FLOOR_SQL,
            {"patient": big},
        ),
        (
            f"patient page, {small_size} records",
            f"/patients/{small}/",
            PATIENT_FLOOR_SQL,
            {"patient": small},
        ),
    ]
    for name, url_path, floor_sql, params in pages:
        page = _page(client, url_path)
        queries = _count_queries(page)
        rows.append(
            (name, _time(page, args.repeat), queries, _time(_sql(floor_sql, params), args.repeat))
        )

    print(
        f"\n{args.patients:,} patients; {args.repeat} timed requests each after {WARMUP} warm-up; "
        "Django test Client in-process, DEBUG off, PostgreSQL"
    )
    columns = ("p50 ms", "p95 ms", "queries", "floor p50", "floor p95", "p50/floor")
    header = f"{'page':<28}" + "".join(f"{c:>11}" for c in columns)
    print(header)
    print("-" * len(header))
    for name, (p50, p95), queries, (f50, f95) in rows:
        ratio = p50 / f50 if f50 else float("nan")
        cells = (f"{p50:.1f}", f"{p95:.1f}", str(queries), f"{f50:.2f}", f"{f95:.2f}")
        print(f"{name:<28}" + "".join(f"{c:>11}" for c in cells) + f"{ratio:>10.1f}×")
    print("floor: one hand-written SQL query fetching the same data, timed the same way")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
