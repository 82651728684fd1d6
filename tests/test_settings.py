"""Settings from the environment; production fails closed through system checks with IDs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fusiontrack import settings as ft_settings

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "k3Y-" + "x9!Qz7#Lm2@Wv5$Rb8%Tn4^Hc6&Jd1*Fg0(Ps3)Ue7_Ya2+Oi9=" * 2


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for the whole
    # session, which production's check (async.E001) rightly refuses.
    dropped = ("FUSIONTRACK_", "DATABASE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    base.update(
        {"FUSIONTRACK_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "fusiontrack.settings"},
        **env,
    )
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "FUSIONTRACK_ENV": "production",
        "FUSIONTRACK_SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": "postgres://fusiontrack@db.internal:5432/fusiontrack",
        "FUSIONTRACK_ALLOWED_HOSTS": "registry.example.org",
    }
    env.update(overrides)
    return env


def test_production_with_nothing_configured_fails_closed_with_named_checks(tmp_path):
    result = run(
        ["manage.py", "check"], tmp_path, FUSIONTRACK_ENV="production", FUSIONTRACK_DEBUG="1"
    )
    assert result.returncode != 0
    for check_id in (
        "fusiontrack.E001",
        "fusiontrack.E002",
        "fusiontrack.E003",
        "fusiontrack.E005",
    ):
        assert check_id in result.stderr
    assert "HINT: Set FUSIONTRACK_SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **production_env()
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_sqlite_in_production_needs_the_explicit_override(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    refused = run(["manage.py", "check", "--deploy"], tmp_path, **env)
    assert "fusiontrack.E003" in refused.stderr
    allowed = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        FUSIONTRACK_ALLOW_SQLITE_IN_PRODUCTION="1",
        **env,
    )
    assert allowed.returncode == 0, allowed.stderr


def test_wsgi_refuses_to_start_in_production_when_checks_fail(tmp_path):
    result = run(["-c", "import fusiontrack.wsgi"], tmp_path, FUSIONTRACK_ENV="production")
    assert result.returncode != 0
    assert "fusiontrack refuses to serve" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(STRONG_KEY + "\n")
    env = production_env(FUSIONTRACK_SECRET_KEY_FILE=str(key_file))
    del env["FUSIONTRACK_SECRET_KEY"]
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env)
    assert result.returncode == 0, result.stderr


def test_default_database_is_sqlite_in_the_data_dir(tmp_path):
    code = "from django.conf import settings as s; print(s.DATABASES['default']['NAME'])"
    result = run(["-c", f"import django; django.setup(); {code}"], tmp_path)
    assert result.stdout.strip() == str(tmp_path / "fusiontrack.sqlite3")


def test_a_bad_boolean_is_refused_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("FUSIONTRACK_DEBUG", "maybe")
    with pytest.raises(ft_settings.ImproperlyConfiguredEnv, match="FUSIONTRACK_DEBUG='maybe'"):
        ft_settings.env_bool("FUSIONTRACK_DEBUG", False)


def test_a_bad_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("FUSIONTRACK_ENV", "staging")
    with pytest.raises(ft_settings.ImproperlyConfiguredEnv, match="expected one of development"):
        ft_settings.env_choice("FUSIONTRACK_ENV", ft_settings.ENVIRONMENTS, "development")


def test_argon2_hashes_new_passwords():
    assert ft_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_production_refuses_demo_logins(settings):
    from django.contrib.auth import authenticate, get_user_model

    from fusiontrack.registry.accounts import DEMO_PASSWORD
    from fusiontrack.registry.checks import demo_accounts_check

    get_user_model().objects.create_user("surgeon", password=DEMO_PASSWORD)
    settings.FUSIONTRACK_ENV = "demo"
    assert authenticate(username="surgeon", password=DEMO_PASSWORD) is not None
    assert demo_accounts_check(databases=["default"]) == []
    settings.FUSIONTRACK_ENV = "production"
    assert authenticate(username="surgeon", password=DEMO_PASSWORD) is None
    errors = demo_accounts_check(databases=["default"])
    assert [e.id for e in errors] == ["fusiontrack.E004"]
    assert "surgeon" in errors[0].msg
