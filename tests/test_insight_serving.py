"""The cohort snapshot under the real server (``fusiontrack demo``'s gunicorn command line with
``fusiontrack.gunicorn_conf``): the master loads the snapshot once before forking, so the
workers never load it themselves; a record saved by another process shows on every worker's
next dashboard view through the change log.

Persona: the demo's "surgeon" login (first site) on a 60-patient synthetic demo cohort in a
scratch SQLite database served by three gunicorn workers.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.server_support import free_port, wait_until_answering

ROOT = Path(__file__).resolve().parents[1]

LOAD = """
from fusiontrack.demo import run_demo
run_demo(serve=False, patients=60)
"""

#: A complication for an operated first-site episode that has none; prints its episode id.
ADD_COMPLICATION = """
import datetime as dt
from fusiontrack.registry.models import Complication, Episode, Membership
site = Membership.objects.get(user__username="surgeon").site
episode = (
    Episode.objects.filter(site=site, surgery_date__isnull=False, complications__isnull=True,
                           patient__consent_withdrawn_date__isnull=True)
    .order_by("pk").first()
)
Complication.objects.create(
    episode=episode, occurred_on=episode.surgery_date + dt.timedelta(days=2),
    category="dural_tear", clavien_dindo="I",
)
print(episode.pk)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("FUSIONTRACK_", "DJANGO_"))}
    return {
        **keep,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serving.sqlite3'}",
        "FUSIONTRACK_ENV": "demo",
        "FUSIONTRACK_DATA_DIR": str(tmp_path / "data"),
        "FUSIONTRACK_LOG_LEVEL": "INFO",
        "DJANGO_SETTINGS_MODULE": "fusiontrack.settings",
    }


def _python(code: str, env: dict[str, str]) -> str:
    script = "from fusiontrack import djangoenv; djangoenv.setup()\n" + code
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _any_complication(session, base: str) -> int:  # type: ignore[no-untyped-def]
    # A new connection each time, so that the requests spread over the workers.
    response = session.get(
        f"{base}/cohort/csv/complications.csv", headers={"Connection": "close"}, timeout=60
    )
    assert response.status_code == 200, response.status_code
    lines = [line for line in response.text.splitlines() if not line.startswith("#")]
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        if row["category"] == "Any complication":
            return int(row["n_patients"])
    raise AssertionError("no 'Any complication' row")


def test_master_loads_once_and_workers_see_other_processes_saves(tmp_path):
    import requests

    from fusiontrack import demo
    from fusiontrack.registry.accounts import DEMO_PASSWORD

    env = _env(tmp_path)
    _python(LOAD, env)
    port = free_port()
    argv = demo.gunicorn_argv("127.0.0.1", port)
    argv[argv.index("--workers") + 1] = "3"
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            argv, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_answering(f"{base}/accounts/login/", 90), log_path.read_text()[-3000:]
        session = requests.Session()
        session.get(f"{base}/accounts/login/", timeout=30)  # the CSRF cookie
        login = session.post(
            f"{base}/accounts/login/",
            data={
                "username": "surgeon",
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": f"{base}/accounts/login/"},
            allow_redirects=False,
            timeout=30,
        )
        assert login.status_code == 302, login.status_code
        # Enough views that every worker (gthread: 4 threads each) serves some.
        before = {_any_complication(session, base) for _ in range(9)}
        assert len(before) == 1
        _python(ADD_COMPLICATION, env)  # another process, as a second server would
        after = {_any_complication(session, base) for _ in range(9)}
        assert after == {before.pop() + 1}
        assert session.get(f"{base}/cohort/", timeout=60).status_code == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    log_text = log_path.read_text()
    # One full load, in the master before forking; the workers only applied the change log.
    assert log_text.count("cohort snapshot loaded") == 1, log_text[-3000:]
    assert "cohort snapshot warmed" in log_text
