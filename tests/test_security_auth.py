"""Authentication (issue 6 §2): Argon2, session rotation, throttling/lockout, time limits,
server-side log-out, disabled users, NIST password rules, TOTP MFA; and §6 security headers."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fusiontrack.registry.models import AuditEvent
from fusiontrack.security.signals import SESSION_LOGIN_AT, SESSION_SEEN_AT

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security_urls")]

PASSWORD = "correct horse battery staple 42"
LOGIN = "/accounts/login/"


@pytest.fixture
def sofia(personas):  # type: ignore[no-untyped-def]
    personas.sofia.set_password(PASSWORD)
    personas.sofia.save()
    return personas.sofia


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_passwords_are_hashed_with_argon2id(sofia):
    assert sofia.password.startswith("argon2$argon2id$")


def test_the_session_id_changes_on_login(sofia):
    client = Client()
    client.get(LOGIN)
    client.session["probe"] = 1
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.cookies["sessionid"].value
    assert _login(client, "sofia", PASSWORD).status_code == 302
    assert client.cookies["sessionid"].value != before


def _errors(response):  # type: ignore[no-untyped-def]
    return list(response.context["form"].non_field_errors())


@override_settings(FUSIONTRACK_LOGIN_MAX_FAILURES_PER_ACCOUNT=3)
def test_an_account_locks_after_repeated_failures_and_says_nothing_more(sofia):
    client = Client()
    wrong = [_login(client, "sofia", "wrong password") for _ in range(3)]
    assert all(r.status_code == 200 for r in wrong)
    locked = _login(client, "sofia", PASSWORD)
    assert locked.status_code == 200  # the right password is refused while locked
    assert _errors(locked) == _errors(wrong[0])  # same words as a wrong password
    assert "_auth_user_id" not in client.session
    # An unknown account, locked or not, looks exactly the same.
    for _ in range(4):
        ghost = _login(client, "nobody-here", "whatever")
    assert _errors(ghost) == _errors(wrong[0])
    failed = AuditEvent.objects.filter(action="login_failed", username="sofia")
    assert failed.count() == 3
    assert failed.first().ip_address == "10.0.0.1"
    lockouts = AuditEvent.objects.filter(action="lockout", username="sofia")
    assert lockouts.count() == 2 and lockouts.last().detail == {"locked_by": "account"}
    assert not AuditEvent.objects.filter(reason__icontains="wrong password").exists()


@override_settings(FUSIONTRACK_LOGIN_MAX_FAILURES_PER_IP=5)
def test_an_ip_address_locks_after_failures_across_accounts(sofia):
    client = Client()
    for i in range(5):
        _login(client, f"guess{i}", "123456", ip="203.0.113.9")
    assert _login(client, "sofia", PASSWORD, ip="203.0.113.9").status_code == 200
    assert AuditEvent.objects.filter(action="lockout", detail__locked_by="ip").exists()
    assert _login(Client(), "sofia", PASSWORD, ip="198.51.100.7").status_code == 302


def test_success_is_audited_and_clears_the_account_count(sofia):
    client = Client()
    _login(client, "sofia", "wrong")
    assert _login(client, "sofia", PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(action="login", username="sofia").count() == 1
    from fusiontrack.security.models import LoginFailure
    from fusiontrack.security.throttle import account_key

    assert not LoginFailure.objects.filter(account=account_key("sofia")).exists()


def _age_session(client: Client, *, seen_ago: int, login_ago: int) -> None:
    now = int(timezone.now().timestamp())
    session = client.session
    session[SESSION_SEEN_AT] = now - seen_ago
    session[SESSION_LOGIN_AT] = now - login_ago
    session.save()


@pytest.mark.parametrize(
    ("seen_ago", "login_ago", "logged_out"),
    [
        (29 * 60, 60 * 60, False),
        (31 * 60, 60 * 60, True),  # idle 30 min
        (60, 11 * 3600 + 59 * 60, False),
        (60, 12 * 3600 + 60, True),  # absolute 12 h
    ],
)
def test_sessions_end_after_30_minutes_idle_or_12_hours(sofia, seen_ago, login_ago, logged_out):
    client = Client()
    _login(client, "sofia", PASSWORD)
    _age_session(client, seen_ago=seen_ago, login_ago=login_ago)
    page = client.get(reverse("registry:worklist"))
    if logged_out:
        assert page.status_code == 302 and page.url.startswith(LOGIN)
        assert AuditEvent.objects.filter(action="logout", username="sofia").exists()
    else:
        assert page.status_code == 200


def test_after_logout_the_old_cookie_opens_nothing(sofia):
    client = Client()
    _login(client, "sofia", PASSWORD)
    stolen = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    thief = Client()
    thief.cookies["sessionid"] = stolen
    assert thief.get(reverse("registry:worklist")).status_code == 302


def test_disabling_a_user_ends_all_their_sessions_on_the_server(sofia):
    from django.contrib.sessions.models import Session

    laptop, phone = Client(), Client()
    _login(laptop, "sofia", PASSWORD)
    _login(phone, "sofia", PASSWORD)
    keys = [laptop.cookies["sessionid"].value, phone.cookies["sessionid"].value]
    sofia.is_active = False
    sofia.save()
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert laptop.get(reverse("registry:worklist")).status_code == 302
    assert AuditEvent.objects.filter(action="security", detail__sessions_ended=2).exists()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("qwertyuiopasdfgh", "password_breached"),
        ("short1", "password_too_short"),
        ("x" * 129, "password_too_long"),
    ],
)
def test_password_rules_follow_nist_800_63b(sofia, password, code):
    with pytest.raises(ValidationError) as info:
        validate_password(password, user=sofia)
    assert code in [e.code for e in info.value.error_list]


def test_a_long_passphrase_without_symbols_is_accepted(sofia):
    validate_password("maple lantern orbit quietly seven", user=sofia)
    validate_password("p" + "assphrase " * 6 + "ok", user=sofia)


@override_settings(FUSIONTRACK_MFA_REQUIRED=True)
def test_staff_must_pass_totp_when_mfa_is_required(sofia):
    client = Client()
    _login(client, "sofia", PASSWORD)
    worklist = reverse("registry:worklist")
    blocked = client.get(worklist)
    assert blocked.status_code == 302 and blocked.url.startswith(reverse("security:mfa"))
    setup = client.get(blocked.url)
    assert setup.status_code == 200 and b"otpauth://totp/" in setup.content
    device = TOTPDevice.objects.get(user=sofia)
    code = f"{totp(device.bin_key):06d}"
    done = client.post(reverse("security:mfa"), {"token": code, "next": worklist})
    assert done.status_code == 302 and done.url == worklist
    assert client.get(worklist).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    # The same code cannot be used twice (new session, same 30-s step).
    other = Client()
    _login(other, "sofia", PASSWORD)
    reused = other.post(reverse("security:mfa"), {"token": code, "next": worklist})
    assert reused.status_code == 200 and b"already used" in reused.content
    assert AuditEvent.objects.filter(detail__event="mfa_enrolled", username="sofia").exists()
    assert AuditEvent.objects.filter(detail__event="mfa_code_rejected").exists()


def test_mfa_is_optional_outside_production(sofia):
    client = Client()
    _login(client, "sofia", PASSWORD)
    assert client.get(reverse("registry:worklist")).status_code == 200


def test_security_headers_on_every_page(sofia):
    client = Client()
    anonymous = client.get(LOGIN)
    csp = anonymous["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert anonymous["Referrer-Policy"] == "same-origin"
    assert anonymous["X-Frame-Options"] == "DENY"
    assert anonymous["X-Content-Type-Options"] == "nosniff"
    _login(client, "sofia", PASSWORD)
    page = client.get(reverse("registry:worklist"))
    assert page["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_user_model_is_unchanged_for_other_apps():
    assert get_user_model().__name__ == "User"


@override_settings(FUSIONTRACK_LOGIN_MAX_FAILURES_PER_IP=3, FUSIONTRACK_TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_forwarded_client_address_is_throttled_not_the_proxy(sofia):
    client = Client()
    for i in range(3):
        client.post(
            LOGIN,
            {"username": f"guess{i}", "password": "x"},
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.50",
        )
    assert AuditEvent.objects.filter(action="login_failed", ip_address="203.0.113.50").count() == 3
    # Another client behind the same proxy still gets in.
    ok = client.post(
        LOGIN,
        {"username": "sofia", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert ok.status_code == 302
