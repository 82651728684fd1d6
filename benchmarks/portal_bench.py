"""Submitting a completed questionnaire under load (issue 4 §8: p95 < 100 ms server-side at 50
concurrent patients on PostgreSQL), beside a floor measured in the same run.

What runs:

* PostgreSQL database ``fusiontrack_bench`` (``FUSIONTRACK_BENCH_DATABASE_URL`` to change it),
  dropped and re-created, migrated, then seeded: 50 × ``ROUNDS`` patients, each with an episode,
  follow-ups, an invitation, a date-of-birth-verified portal session and complete ODI, NRS and
  EQ-5D-5L drafts — so every measured request is the real final submit: lock the invitation,
  score three questionnaires with the core, write three responses, their Score rows, the
  follow-up completion and the audit entries, cancel queued messages, commit, redirect.
* The app under gunicorn (gthread workers, persistent DB connections, DEBUG off) on a free local
  port, with an access log whose ``%(D)s`` is gunicorn's own request time: the server-side
  numbers come from there; the client-side ones include the local HTTP round trip.
* The floor: on the same gunicorn, middleware stack (sessions, CSRF...) and database, a minimal
  view that does one INSERT and redirects (``/bench/floor/``, mounted only by this benchmark).
* The load generator: 50 threads (the patients), each on its own keep-alive connection with its
  own portal cookie and CSRF token, sending POSTs with a think time between them (a patient
  does not submit back to back). wrk cannot do per-user cookies and CSRF forms easily, and
  locust would add a dependency for no extra information; ``http.client`` threads do.
  ``--think 0`` gives the saturated, closed-loop worst case.

Run: ``python -m benchmarks portal`` (or ``python benchmarks/portal_bench.py --rounds 8``).
Prints a table; never asserts on time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.urls import include, path

from benchmarks._pg import recreate_database

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: import this checkout's fusiontrack
    sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/fusiontrack_bench"
CSRF_SECRET = "b" * 32  # test-only CSRF secret, sent as cookie and form field
PATIENTS = 50


# -- the floor view and the URL map gunicorn serves --------------------------------------------


def floor_view(request):  # type: ignore[no-untyped-def]
    """One INSERT behind the same middleware stack, then the same kind of redirect."""
    from django.db import connection
    from django.http import HttpResponseRedirect

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor (at, body) VALUES (now(), %s)", [request.POST.get("x", "")]
        )
    return HttpResponseRedirect("/bench/floor/done")


def __getattr__(name: str) -> object:
    """``urlpatterns``, built on first use (include() imports the project's URL map, which
    needs Django set up; gunicorn's factory below does that first)."""
    if name == "urlpatterns":
        return [path("bench/floor/", floor_view), path("", include("fusiontrack.urls"))]
    raise AttributeError(name)


def wsgi_app():  # type: ignore[no-untyped-def]
    """gunicorn factory: the project's app with this module's URL map (adds the floor)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fusiontrack.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.ROOT_URLCONF = "benchmarks.portal_bench"
    return get_wsgi_application()


# -- database ----------------------------------------------------------------------------------


def _seed(count: int) -> list[str]:
    """Patients ready to submit; returns their portal session keys."""
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fusiontrack.portal.models import DraftAnswers, Invitation, PortalSession
    from fusiontrack.portal.tokens import hash_token, new_token
    from fusiontrack.registry import services
    from fusiontrack.registry.models import Episode, FollowUp, Patient, Site

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, at timestamptz, body text)"
        )
    now = timezone.now()
    today = timezone.localdate(now)
    site = Site.objects.create(code="bench", name="Benchmark Clinic (synthetic)")
    patients = Patient.objects.bulk_create(
        Patient(
            site=site,
            mrn=f"B-{i:05d}",
            given_name="Synthetic",
            family_name=f"Patient {i}",
            date_of_birth=dt.date(1960, 1, 1),
            sex="female",
            consent_registry=True,
        )
        for i in range(count)
    )
    episodes = Episode.objects.bulk_create(
        Episode(
            patient=p,
            site=site,
            stage="preparation",
            stage_entered_on=today,
            opened_on=today - dt.timedelta(days=60),
            planned_surgery_date=today + dt.timedelta(days=30),
        )
        for p in patients
    )
    FollowUp.objects.bulk_create(r for e in episodes for r in services.follow_up_rows(e))
    follow_ups = {f.episode_id: f for f in FollowUp.objects.filter(timepoint="baseline", site=site)}
    invitations = Invitation.objects.bulk_create(
        Invitation(
            patient=e.patient,
            episode=e,
            site=site,
            follow_up=follow_ups.get(e.pk),
            timepoint="baseline",
            instruments=["odi", "nrs", "eq5d5l"],
            source="cli",
            created_at=now,
            expires_at=now + dt.timedelta(days=14),
            dob_required=True,
        )
        for e in episodes
    )
    keys = [new_token() for _ in invitations]
    PortalSession.objects.bulk_create(
        PortalSession(
            invitation=inv,
            key_hash=hash_token(key),
            created_at=now,
            last_seen_at=now,
            dob_verified=True,
        )
        for inv, key in zip(invitations, keys, strict=True)
    )
    answers = {
        "odi": {f"odi_{i}": i % 6 for i in range(1, 11)},
        "nrs": {"nrs_back": 6, "nrs_leg": 7},
        "eq5d5l": {
            "eq5d_mo": 2,
            "eq5d_sc": 1,
            "eq5d_ua": 3,
            "eq5d_pd": 3,
            "eq5d_ad": 2,
            "eq5d_vas": 55,
        },
    }
    DraftAnswers.objects.bulk_create(
        DraftAnswers(invitation=inv, instrument_id=iid, answers=a, finished=True, updated_at=now)
        for inv in invitations
        for iid, a in answers.items()
    )
    return keys


# -- server and load ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_gunicorn(port: int, log: Path, workers: int, threads: int) -> subprocess.Popen[bytes]:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    command = [
        gunicorn,
        "benchmarks.portal_bench:wsgi_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--access-logfile",
        str(log),
        "--access-logformat",
        "%(m)s %(U)s %(s)s %(D)s",
        "--error-logfile",
        str(log.with_suffix(".err")),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start; see {log.with_suffix('.err')}")


def _post(conn: http.client.HTTPConnection, url: str, cookie: str) -> tuple[int, float]:
    body = f"csrfmiddlewaretoken={CSRF_SECRET}&x=1"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={CSRF_SECRET}; {cookie}",
    }
    started = time.perf_counter()
    conn.request("POST", url, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def _load(port: int, url: str, cookies: list[list[str]], think: float) -> list[float]:
    """One thread per patient; each sends its POSTs in turn with a think time between."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(cookies))

    def patient(mine: list[str], seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        for cookie in mine:
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))
            status, ms = _post(conn, url, cookie)
            with lock:
                (latencies if status == 302 else errors).append(ms if status == 302 else status)
        conn.close()

    threads = [threading.Thread(target=patient, args=(mine, i)) for i, mine in enumerate(cookies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"  {len(errors)} non-redirect responses, e.g. {errors[:5]}")
    return latencies


def _server_times(log: Path, path_prefix: str) -> list[float]:
    pattern = re.compile(r"^POST (\S+) (\d{3}) (\d+)$")
    out = []
    for line in log.read_text().splitlines():
        match = pattern.match(line.strip())
        if match and match.group(1).startswith(path_prefix) and match.group(2) == "302":
            out.append(int(match.group(3)) / 1000)
    return out


def _pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else (values[0] if values else float("nan"))
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="submits per patient")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between POSTs")
    parser.add_argument("--patients", type=int, default=PATIENTS, help="concurrent patients")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv if argv is not None else [])

    url = os.environ.get("FUSIONTRACK_BENCH_DATABASE_URL", DEFAULT_DB)
    if not recreate_database(url):
        return
    os.environ.update(
        DATABASE_URL=url,
        FUSIONTRACK_DEBUG="0",
        FUSIONTRACK_DB_CONN_MAX_AGE="600",
        FUSIONTRACK_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="fusiontrack.settings",
    )
    import django

    django.setup()
    patients = args.patients
    count = patients * args.rounds
    keys = _seed(count + patients)  # + one warm-up round
    from fusiontrack.portal.sessions import COOKIE_NAME

    cookies = [f"{COOKIE_NAME}={k}" for k in keys]
    warm, measured = cookies[:patients], cookies[patients:]
    per_patient = [measured[i::patients] for i in range(patients)]

    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    log = workdir / "access.log"
    server = _start_gunicorn(port, log, args.workers, args.threads)
    try:
        _load(port, "/p/review/", [[c] for c in warm], 0)  # warm-up: imports, connections
        _load(port, "/bench/floor/", [["x=1"]] * patients, 0)
        log.write_text("")
        started = time.perf_counter()
        submit_client = _load(port, "/p/review/", per_patient, args.think)
        submit_wall = time.perf_counter() - started
        floor_client = _load(port, "/bench/floor/", [["x=1"] * args.rounds] * patients, args.think)
        time.sleep(0.5)  # let gunicorn flush its access log
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    submit_server = _server_times(log, "/p/review/")
    floor_server = _server_times(log, "/bench/floor/")

    from fusiontrack.registry.models import QuestionnaireResponse

    responses = QuestionnaireResponse.objects.count()
    print(
        f"PostgreSQL, gunicorn gthread {args.workers}×{args.threads}, {patients} concurrent "
        f"patients, think time {args.think:g} s, {os.cpu_count()} CPUs (shared)"
    )
    print(f"{'request':<34}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, values in (
        ("submit, server (gunicorn %D)", submit_server),
        ("submit, client round trip", submit_client),
        ("floor (1 INSERT), server", floor_server),
        ("floor (1 INSERT), client", floor_client),
    ):
        if values:
            print(
                f"{label:<34}{len(values):>6}{_pct(values, 50):>9.1f}{_pct(values, 95):>9.1f}"
                f"{_pct(values, 99):>9.1f}{max(values):>9.1f}"
            )
    if submit_server and floor_server:
        ratio = _pct(submit_server, 95) / _pct(floor_server, 95)
        print(f"submit p95 / floor p95 (server): {ratio:.1f}×; target p95 < 100 ms")
    print(
        f"submits: {len(submit_client)} in {submit_wall:.1f} s; responses written: {responses} "
        f"(3 per submit incl. warm-up: expected {3 * (count + patients)})"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
