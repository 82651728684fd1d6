"""Log-in throttling: lock an account, or an IP address, after too many recent failures.

Defaults (settings ``FUSIONTRACK_LOGIN_*``): 10 failures per account or 50 per IP address within
15 minutes lock further attempts for the rest of that window. OWASP ASVS 4.0.3 2.2.1 asks for
anti-automation; NIST SP 800-63B §5.2.2 caps failures at 100 per account — both are met with
room to spare. A locked attempt fails exactly like a wrong password, so a lockout does not
reveal whether the account exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from fusiontrack.security.models import LoginFailure


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_ip: int
    window: dt.timedelta


def limits() -> Limits:
    return Limits(
        per_account=getattr(settings, "FUSIONTRACK_LOGIN_MAX_FAILURES_PER_ACCOUNT", 10),
        per_ip=getattr(settings, "FUSIONTRACK_LOGIN_MAX_FAILURES_PER_IP", 50),
        window=dt.timedelta(seconds=getattr(settings, "FUSIONTRACK_LOGIN_WINDOW_SECONDS", 900)),
    )


def account_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()


def _recent(now: dt.datetime) -> object:
    return LoginFailure.objects.filter(at__gte=now - limits().window)


def locked_reason(username: str, ip: str | None, *, now: dt.datetime | None = None) -> str:
    """ "account" or "ip" when further attempts are refused now, else ""."""
    now = now or timezone.now()
    recent = _recent(now)
    if recent.filter(account=account_key(username)).count() >= limits().per_account:  # type: ignore[attr-defined]
        return "account"
    if ip and recent.filter(ip_address=ip).count() >= limits().per_ip:  # type: ignore[attr-defined]
        return "ip"
    return ""


#: Failures older than this are deleted as new ones come in (they no longer count anyway;
#: the audit trail keeps every failed log-in).
KEEP_FAILURES = dt.timedelta(days=1)


def record_failure(username: str, ip: str | None, *, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    LoginFailure.objects.filter(at__lt=now - max(KEEP_FAILURES, limits().window)).delete()
    LoginFailure.objects.create(at=now, account=account_key(username), ip_address=ip)


def clear_account(username: str) -> None:
    """A successful log-in resets the account's count (the IP's count stays)."""
    LoginFailure.objects.filter(account=account_key(username)).delete()
