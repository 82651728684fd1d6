"""Audit log-ins and failures, count failures for throttling, end a disabled user's sessions."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from fusiontrack.registry import audit
from fusiontrack.security import throttle
from fusiontrack.security.models import StaffSession
from fusiontrack.security.net import client_ip

SESSION_LOGIN_AT = "fusiontrack_login_at"
SESSION_SEEN_AT = "fusiontrack_seen_at"


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    ip = client_ip(request)
    locked = getattr(request, "_fusiontrack_locked", "")
    if locked:
        audit.record_event(
            request, "lockout", "login", username=username, detail={"locked_by": locked}
        )
        return
    throttle.record_failure(username, ip)
    audit.record_event(request, "login_failed", "login", username=username)
    now_locked = throttle.locked_reason(username, ip)
    if now_locked:
        audit.record_event(
            request, "lockout", "login", username=username, detail={"locked_by": now_locked}
        )


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = int(timezone.now().timestamp())
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now
    if request.session.session_key is None:
        request.session.save()
    StaffSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )
    _forget_expired(user)
    throttle.clear_account(user.get_username())
    audit.record_event(request, "login", "user", str(user.pk), user=user)


@receiver(user_logged_out)
def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    if request is not None and getattr(request, "session", None) is not None:
        StaffSession.objects.filter(session_key=request.session.session_key).delete()
    audit.record_event(request, "logout", "user", str(user.pk), user=user)


def _forget_expired(user: Any) -> None:
    """Drop the user's rows for sessions the store no longer has (expired, cleared)."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return
    from django.contrib.sessions.models import Session

    StaffSession.objects.filter(user=user).exclude(
        session_key__in=Session.objects.values("session_key")
    ).delete()


def end_sessions(user: Any) -> int:
    """Delete every server-side session of ``user``; returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(StaffSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    StaffSession.objects.filter(user=user).delete()
    return len(keys)


@receiver(post_save, sender=get_user_model())
def on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created or instance.is_active:
        return
    ended = end_sessions(instance)
    if ended:
        audit.record_event(
            None, "security", "user", str(instance.pk), detail={"sessions_ended": ended}
        )
