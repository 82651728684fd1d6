"""The portal's settings, read from Django settings first and the environment second.

Every name below may be set in ``fusiontrack/settings.py`` (the lead may move them there); until
then the environment variable of the same name is read, then the default. None of these are
clinical facts: they are clinic workflow choices, documented here.

FUSIONTRACK_BASE_URL
    Absolute base of the links sent to patients (default ``http://127.0.0.1:8000``).
FUSIONTRACK_INVITATION_TTL_DAYS
    How long an invitation link works (default 14 days; issue 4 §1).
FUSIONTRACK_REMINDER_DAYS
    Days after the invitation when reminders go out, comma-separated (default ``3,7``).
FUSIONTRACK_PORTAL_INSTRUMENTS
    Questionnaires a patient answers at each time point, in order (default ``odi,nrs,eq5d5l``).
FUSIONTRACK_PORTAL_DOB_CHECK
    Ask for the date of birth before showing anything (default on).
FUSIONTRACK_PORTAL_DOB_MAX_FAILURES
    Wrong dates of birth before the link locks (default 5; issue 4 §1).
FUSIONTRACK_PORTAL_SESSION_IDLE_MINUTES / FUSIONTRACK_PORTAL_SESSION_MAX_HOURS
    The short-lived patient session: idle timeout (default 30 min) and absolute limit (4 h).
FUSIONTRACK_PORTAL_CHANNELS
    Delivery channels in order of preference (default ``email,sms``): the first one the patient
    has an address for is used.
FUSIONTRACK_OUTBOX_MAX_ATTEMPTS / FUSIONTRACK_OUTBOX_BACKOFF_SECONDS
    Delivery attempts before a message is failed (default 5) and the first retry delay (default
    300 s, doubling each attempt, capped at 6 hours).
FUSIONTRACK_SMS_BACKEND
    Dotted path of the SMS backend (default ``fusiontrack.portal.sms.LoggingSmsBackend``).
FUSIONTRACK_PORTAL_FROM_EMAIL
    Sender of patient e-mails (default: Django's DEFAULT_FROM_EMAIL).
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings


def _raw(name: str, default: Any) -> Any:
    if hasattr(settings, name):
        return getattr(settings, name)
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _int(name: str, default: int) -> int:
    value = _raw(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r}: expected a whole number.") from None


def _list(name: str, default: list[str]) -> list[str]:
    value = _raw(name, default)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


def _bool(name: str, default: bool) -> bool:
    value = _raw(name, default)
    if isinstance(value, bool):
        return value
    lowered = str(value).lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off.")


def base_url() -> str:
    return str(_raw("FUSIONTRACK_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def invitation_ttl_days() -> int:
    return _int("FUSIONTRACK_INVITATION_TTL_DAYS", 14)


def reminder_days() -> list[int]:
    return sorted(int(day) for day in _list("FUSIONTRACK_REMINDER_DAYS", ["3", "7"]))


def instruments() -> list[str]:
    return _list("FUSIONTRACK_PORTAL_INSTRUMENTS", ["odi", "nrs", "eq5d5l"])


def dob_check() -> bool:
    return _bool("FUSIONTRACK_PORTAL_DOB_CHECK", True)


def dob_max_failures() -> int:
    return _int("FUSIONTRACK_PORTAL_DOB_MAX_FAILURES", 5)


def session_idle_minutes() -> int:
    return _int("FUSIONTRACK_PORTAL_SESSION_IDLE_MINUTES", 30)


def session_max_hours() -> int:
    return _int("FUSIONTRACK_PORTAL_SESSION_MAX_HOURS", 4)


def channels() -> list[str]:
    return _list("FUSIONTRACK_PORTAL_CHANNELS", ["email", "sms"])


def outbox_max_attempts() -> int:
    return _int("FUSIONTRACK_OUTBOX_MAX_ATTEMPTS", 5)


def outbox_backoff_seconds() -> int:
    return _int("FUSIONTRACK_OUTBOX_BACKOFF_SECONDS", 300)


def sms_backend() -> str:
    return str(_raw("FUSIONTRACK_SMS_BACKEND", "fusiontrack.portal.sms.LoggingSmsBackend"))


def from_email() -> str | None:
    value = _raw("FUSIONTRACK_PORTAL_FROM_EMAIL", None)
    return str(value) if value else None


def secure_cookies() -> bool:
    return bool(getattr(settings, "SESSION_COOKIE_SECURE", False))
