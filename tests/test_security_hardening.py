"""Input hardening (issue 6 §6): CSV formula injection, production transport settings,
no stack traces, log/markup injection in stored free text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from fusiontrack.registry.models import AuditEvent, Complication
from fusiontrack.security.csvsafe import neutralise, neutralise_row

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "k3Y-" + "x9!Qz7#Lm2@Wv5$Rb8%Tn4^Hc6&Jd1*Fg0(Ps3)Ue7_Ya2+Oi9=" * 2


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("L4-L5", "L4-L5"),
        ("", ""),
        (-3, -3),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_become_text(cell, safe):
    assert neutralise(cell) == safe


def test_a_row_is_neutralised_cell_by_cell():
    assert neutralise_row(["=1", 4, "ok"]) == ["'=1", 4, "ok"]


def _production(code: str, tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUSIONTRACK_", "DATABASE"))}
    env.update(
        FUSIONTRACK_ENV="production",
        FUSIONTRACK_SECRET_KEY=STRONG_KEY,
        DATABASE_URL="postgres://fusiontrack@db.internal:5432/fusiontrack",
        FUSIONTRACK_ALLOWED_HOSTS="registry.example.org",
        FUSIONTRACK_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="fusiontrack.settings",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings as s; {code}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_turns_on_hsts_secure_host_cookies_and_mfa(tmp_path):
    out = _production(
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, "
        "s.SESSION_COOKIE_SECURE, s.FUSIONTRACK_MFA_REQUIRED, s.DEBUG)",
        tmp_path,
    )
    assert out == "31536000 __Host-sessionid __Host-csrftoken True True False"


@pytest.mark.django_db
def test_markup_and_control_characters_in_free_text_are_shown_escaped(personas, anna, client):
    """Checklist E3/B8: stored XSS payloads and CR/LF/ANSI in free text render inert."""
    Complication.objects.create(
        episode=anna.episode,
        occurred_on=anna.operation.operation_date,
        category="durotomy",
        clavien_dindo="I",
        description="<script>alert(1)</script><img src=x onerror=alert(2)>\r\n\x1b[31mred",
    )
    client.force_login(personas.sofia)
    page = client.get(reverse("registry:patient_detail", args=[anna.patient.pk]))
    assert page.status_code == 200
    assert b"<script>alert(1)" not in page.content
    assert b"<img src=x onerror" not in page.content


@pytest.mark.django_db
def test_a_user_agent_with_newlines_and_nul_is_stored_as_one_clean_field(personas, anna, client):
    client.force_login(personas.sofia)
    client.get(
        reverse("registry:patient_detail", args=[anna.patient.pk]),
        HTTP_USER_AGENT="evil\r\nX-Injected: 1\x00tail",
    )
    event = AuditEvent.objects.filter(action="read").latest("sequence")
    assert "\x00" not in event.user_agent
    assert event.user_agent.startswith("evil")


@pytest.mark.django_db
def test_server_errors_show_no_stack_trace(settings, client, personas):
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(personas.sofia)
    page = client.get("/patients/999999999999999999999/")
    assert page.status_code in (404, 500)
    assert b"Traceback" not in page.content


SECRET_PATTERNS = {
    "private key": re.compile(rb"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "AWS access key": re.compile(rb"AKIA[0-9A-Z]{16}"),
    "fusiontrack API token": re.compile(rb"\bft_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}"),
    "GitHub token": re.compile(rb"gh[pousr]_[A-Za-z0-9]{36}"),
    "Django secret key": re.compile(rb"SECRET_KEY\s*=\s*['\"](?!django-insecure)[^'\"]{30,}['\"]"),
}


def test_no_secrets_are_committed():
    """Checklist: no secrets in the repository (settings read them from the environment)."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.suffix in {".gz", ".png", ".dcm", ".parquet"}:
            continue
        data = path.read_bytes()
        found += [f"{name}: {what}" for what, rx in SECRET_PATTERNS.items() if rx.search(data)]
    assert found == []


def test_production_refuses_to_run_without_mfa(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUSIONTRACK_", "DATABASE"))}
    env.update(
        FUSIONTRACK_ENV="production",
        FUSIONTRACK_SECRET_KEY=STRONG_KEY,
        DATABASE_URL="postgres://fusiontrack@db.internal:5432/fusiontrack",
        FUSIONTRACK_ALLOWED_HOSTS="registry.example.org",
        FUSIONTRACK_DATA_DIR=str(tmp_path),
        FUSIONTRACK_MFA_REQUIRED="0",
        DJANGO_SETTINGS_MODULE="fusiontrack.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "fusiontrack.E101" in result.stderr
