"""Production checks of the security app (run with every management command; the WSGI app
refuses to start on an error, see fusiontrack/wsgi.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

REQUIRED_MIDDLEWARE = (
    "fusiontrack.security.middleware.SecurityHeadersMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fusiontrack.security.middleware.SessionTimeoutMiddleware",
    "fusiontrack.security.middleware.MfaRequiredMiddleware",
)


@register(Tags.security, deploy=False)
def security_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.FUSIONTRACK_ENV != "production":
        return []
    errors: list[CheckMessage] = []
    if not settings.FUSIONTRACK_MFA_REQUIRED:
        errors.append(
            Error(
                "Two-step verification (TOTP) is switched off in production.",
                hint="Unset FUSIONTRACK_MFA_REQUIRED (production requires it for every staff "
                "log-in).",
                id="fusiontrack.E101",
            )
        )
    missing = [m for m in REQUIRED_MIDDLEWARE if m not in settings.MIDDLEWARE]
    if missing:
        errors.append(
            Error(
                f"Security middleware missing from MIDDLEWARE: {', '.join(missing)}.",
                hint="Keep the security middleware of fusiontrack/settings.py.",
                id="fusiontrack.E102",
            )
        )
    if "fusiontrack.security.backends.ThrottledBackend" not in settings.AUTHENTICATION_BACKENDS:
        errors.append(
            Error(
                "Log-in throttling is not in AUTHENTICATION_BACKENDS.",
                hint="Use fusiontrack.security.backends.ThrottledBackend.",
                id="fusiontrack.E103",
            )
        )
    return errors
