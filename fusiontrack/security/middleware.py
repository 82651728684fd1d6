"""Request-level protections: security headers, session time limits, MFA for staff.

Order in settings.MIDDLEWARE: ``SecurityHeadersMiddleware`` right after Django's
SecurityMiddleware; ``SessionTimeoutMiddleware`` and ``MfaRequiredMiddleware`` after
AuthenticationMiddleware (and django-otp's OTPMiddleware).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fusiontrack.security.signals import SESSION_LOGIN_AT, SESSION_SEEN_AT

#: No inline script or style anywhere (templates load static files only); nothing may frame us.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

Handler = Callable[[HttpRequest], HttpResponse]


class SecurityHeadersMiddleware:
    """CSP, Permissions-Policy, Referrer-Policy, and no caching of pages for logged-in users.

    HSTS, nosniff and COOP come from Django's SecurityMiddleware (settings).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _login_redirect(request: HttpRequest) -> HttpResponse:
    url = reverse(settings.LOGIN_URL)
    return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")


class SessionTimeoutMiddleware:
    """Log staff out after ``FUSIONTRACK_SESSION_IDLE_SECONDS`` without a request (30 min) or
    ``FUSIONTRACK_SESSION_ABSOLUTE_SECONDS`` after log-in (12 h), whichever comes first."""

    #: Only write the "last seen" time when it moved by this much (one session write a minute).
    SEEN_RESOLUTION = 60

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(timezone.now().timestamp())
            session = request.session
            login_at = session.get(SESSION_LOGIN_AT)
            seen_at = session.get(SESSION_SEEN_AT, login_at)
            if login_at is None:
                session[SESSION_LOGIN_AT] = session[SESSION_SEEN_AT] = now
            elif (
                now - int(seen_at) > settings.FUSIONTRACK_SESSION_IDLE_SECONDS
                or now - int(login_at) > settings.FUSIONTRACK_SESSION_ABSOLUTE_SECONDS
            ):
                logout(request)
                return _login_redirect(request)
            elif now - int(seen_at) >= self.SEEN_RESOLUTION:
                session[SESSION_SEEN_AT] = now
        return self.get_response(request)


class MfaRequiredMiddleware:
    """With ``FUSIONTRACK_MFA_REQUIRED`` (on in production), a logged-in user must have passed a
    TOTP check in this session before any page but the MFA page, log-out and static files."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def _exempt(self, path: str) -> bool:
        prefixes = [settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"]
        for name in ("security:mfa", "logout", "login"):
            try:
                prefixes.append(reverse(name))
            except NoReverseMatch:
                continue
        return any(path.startswith(prefix) for prefix in prefixes)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.FUSIONTRACK_MFA_REQUIRED
            and user is not None
            and user.is_authenticated
            and not (hasattr(user, "is_verified") and user.is_verified())
            and not self._exempt(request.path)
        ):
            try:
                url = reverse("security:mfa")
            except NoReverseMatch:
                return HttpResponseForbidden("A second factor (TOTP) is required.")
            return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class DeniedAccessAuditMiddleware:
    """Audit every refused request of a logged-in user (checklist B6: failed authorisation is
    logged). 404s are not: another site's patient is a 404 on purpose, and so is a typo."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        user = getattr(request, "user", None)
        if isinstance(exception, PermissionDenied) and user is not None and user.is_authenticated:
            from fusiontrack.registry import audit

            audit.record_event(
                request,
                "denied",
                "url",
                detail={"method": request.method, "why": str(exception)[:200]},
            )
