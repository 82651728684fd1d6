"""Nothing lost (issue 6 §7): kill -9 the server during a burst of questionnaire submissions on
PostgreSQL, restart it, and find every submission that got a success response, intact.

Runs against its own scratch PostgreSQL database (created and dropped here) and a real gunicorn
server; skipped unless FUSIONTRACK_TEST_DATABASE_URL (or DATABASE_URL) points at PostgreSQL.
The submissions go through the registry's staff questionnaire entry (a normal HTML form POST
with session and CSRF), each one committing a response, its Score rows and its audit entry in
one transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.server_support import free_port, wait_until_answering

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "crash test passphrase 2026"

pytestmark = pytest.mark.postgres

SETUP = """
import datetime as dt
from fusiontrack.registry import services
from fusiontrack.registry.models import Episode, Patient, Site
site = Site.objects.create(code="north", name="North")
user = services.create_staff_user("sofia", password=%r, memberships=[(site, "surgeon")])
patient = Patient.objects.create(site=site, mrn="C-1", given_name="Crash", family_name="Test",
                                 date_of_birth=dt.date(1960, 1, 1), sex="female")
episode = services.create_episode(None, Episode(patient=patient, opened_on=dt.date(2024, 1, 1)),
                                  role="surgeon", user=user)
print(episode.pk)
"""


def _pg_base() -> str | None:
    url = os.environ.get("FUSIONTRACK_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("FUSIONTRACK_", "DJANGO_"))}
    return {
        **keep,
        "DATABASE_URL": database_url,
        "FUSIONTRACK_ENV": "test",
        "FUSIONTRACK_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "fusiontrack.settings",
    }


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "fusiontrack.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "3",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if wait_until_answering(f"http://127.0.0.1:{port}/accounts/login/", 60):
        return server
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start")


def _session(base: str):  # type: ignore[no-untyped-def]
    import requests

    s = requests.Session()
    s.get(f"{base}/accounts/login/", timeout=30)
    r = s.post(
        f"{base}/accounts/login/",
        data={
            "username": "sofia",
            "password": PASSWORD,
            "csrfmiddlewaretoken": s.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 302, r.status_code
    return s


def test_every_acknowledged_submission_survives_kill_9(tmp_path):
    base_url = _pg_base()
    if base_url is None:
        pytest.skip("needs PostgreSQL: set FUSIONTRACK_TEST_DATABASE_URL")
    import psycopg

    parts = urlsplit(base_url)
    dbname = f"ft_crash_{secrets.token_hex(4)}"
    database_url = parts._replace(path=f"/{dbname}").geturl()
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    env = _env(database_url, tmp_path)
    server = None
    try:
        py = str(BIN / "python")
        subprocess.run(
            [py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
        )
        made = subprocess.run(
            [py, "manage.py", "shell", "-c", SETUP % PASSWORD],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        episode_id = int(made.stdout.strip().splitlines()[-1])

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start(env, port)
        url = f"{base}/episodes/{episode_id}/questionnaires/new/?instrument=nrs"
        acked: list[tuple[dt.date, int, int]] = []
        lock = threading.Lock()
        stop = threading.Event()
        start_day = dt.date(2025, 1, 1)
        counter = iter(range(100_000))

        def submit_loop() -> None:
            import requests

            try:
                s = _session(base)
            except (requests.RequestException, AssertionError):
                return  # the server died before this client logged in
            while not stop.is_set():
                with lock:
                    n = next(counter)
                day = start_day + dt.timedelta(days=n)
                back, leg = n % 11, (n * 7) % 11
                try:
                    r = s.post(
                        url,
                        data={
                            "instrument": "nrs",
                            "timepoint": "12m",
                            "responded_on": day.isoformat(),
                            "entry_mode": "phone",
                            "item_nrs_back": back,
                            "item_nrs_leg": leg,
                            "csrfmiddlewaretoken": s.cookies["csrftoken"],
                        },
                        headers={"Referer": url},
                        allow_redirects=False,
                        timeout=30,
                    )
                except requests.RequestException:
                    continue  # no answer: not acknowledged
                if r.status_code == 302 and "/patients/" in r.headers.get("Location", ""):
                    with lock:
                        acked.append((day, back, leg))

        threads = [threading.Thread(target=submit_loop) for _ in range(6)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # mid-burst: requests are in flight
        server.wait()
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=15)
        assert len(acked) >= 20, "the burst never got going"

        server = _start(env, port)
        after = _session(base).get(f"{base}/worklist/", timeout=30)
        assert after.status_code == 200

        with psycopg.connect(database_url) as db:
            rows = db.execute(
                "SELECT r.id, r.responded_on, r.answers, r.scores, "
                "(SELECT count(*) FROM registry_score s WHERE s.response_id = r.id) "
                "FROM registry_questionnaireresponse r WHERE r.instrument_id = 'nrs'"
            ).fetchall()
            audited = {
                r[0]
                for r in db.execute(
                    "SELECT object_id FROM registry_auditevent "
                    "WHERE action = 'create' AND object_type = 'questionnaireresponse'"
                )
            }
        stored = {row[1]: row for row in rows}
        missing = [a for a in acked if a[0] not in stored]
        assert missing == [], f"acknowledged but lost: {missing}"
        for day, back, leg in acked:
            rid, _, answers, scores, n_scores = stored[day]
            assert answers == {"nrs_back": back, "nrs_leg": leg}
            assert scores["nrs_back"] == back and scores["nrs_leg"] == leg
            assert n_scores == 2 and str(rid) in audited
        # No half-written submission either: every stored response has its scores and audit.
        assert all(row[4] == 2 and str(row[0]) in audited for row in rows)
        verify = subprocess.run(
            [str(BIN / "fusiontrack"), "audit", "verify"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        print(f"crash test: {len(acked)} acknowledged, {len(rows)} stored, 0 lost")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
