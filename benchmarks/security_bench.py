"""Audit-trail cost (issue 6 §3): appending hash-chained entries and verifying the chain on
PostgreSQL, beside a floor measured in the same run.

* Floor: the same number of single-row INSERTs (timestamp + JSON payload) into a scratch table,
  one transaction each — what an unchained audit log would cost.
* Audit: ``audit.record_event`` (head-row update + insert with the hash computed in SQL), one
  transaction each, from 1 thread and from 8 threads at once (appends serialise on the head
  row, so this shows the price of the chain under concurrency).
* Verify: ``audit.verify_chain`` over every entry (Python sha256 per entry).

Database ``fusiontrack_bench_security`` (``FUSIONTRACK_BENCH_DATABASE_URL`` to change it) is
dropped, re-created and migrated. Run: ``python -m benchmarks security`` (after registering it
in benchmarks/__main__.py) or ``python benchmarks/security_bench.py``. Never asserts on time.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from benchmarks._pg import recreate_database

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/fusiontrack_bench_security"
ENTRIES = 2000
THREADS = 8


def _prepare(url: str) -> None:

    if not recreate_database(url):
        raise SystemExit(0)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fusiontrack.settings")
    os.environ.setdefault("FUSIONTRACK_DATA_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _threads(n_threads: int, per_thread: int, work) -> float:  # type: ignore[no-untyped-def]
    from django.db import connections

    def run() -> None:
        try:
            for i in range(per_thread):
                work(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n_threads)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def main() -> None:
    _prepare(os.environ.get("FUSIONTRACK_BENCH_DATABASE_URL", DEFAULT_DB))
    import json

    from django.db import connection
    from django.utils import timezone

    from fusiontrack.registry import audit

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, at timestamptz, d jsonb)")
    payload = json.dumps({"patients_shown": list(range(50)), "query": "tab=followup"})

    def floor(i: int) -> None:
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO bench_floor (at, d) VALUES (%s, %s::jsonb)", [timezone.now(), payload]
            )

    def append(i: int) -> None:
        audit.record_event(
            None, "read", "worklist", str(i), detail={"patients_shown": list(range(50))}
        )

    rows = []
    for label, work in (("floor insert", floor), ("audit append", append)):
        one = _threads(1, ENTRIES, work)
        many = _threads(THREADS, ENTRIES // THREADS, work)
        rows.append((label, ENTRIES / one, ENTRIES / many))
    start = time.perf_counter()
    report = audit.verify_chain()
    verify = time.perf_counter() - start
    print(f"{'operation':<14} {'1 thread /s':>12} {f'{THREADS} threads /s':>14}")
    for label, a, b in rows:
        print(f"{label:<14} {a:>12.0f} {b:>14.0f}")
    floor_1, floor_n = rows[0][1], rows[0][2]
    print(
        f"audit vs floor: {rows[1][1] / floor_1:.2f}x (1 thread), {rows[1][2] / floor_n:.2f}x "
        f"({THREADS} threads)"
    )
    print(
        f"verify_chain: {report.entries} entries in {verify:.2f} s "
        f"({report.entries / verify:.0f} entries/s), ok={report.ok}"
    )


if __name__ == "__main__":
    main()
