"""System checks that make production fail closed, each with an ID and a hint.

They run with every management command (``manage.py check``, ``migrate``...) and, in
production, when the WSGI application starts (``fusiontrack/wsgi.py``), which refuses to serve
while any error stands.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from fusiontrack.registry.accounts import DEMO_PASSWORD, DEMO_USERNAMES


def _production() -> bool:
    return settings.FUSIONTRACK_ENV == "production"


@register(Tags.security, deploy=False)
def production_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if not _production():
        return []
    errors = []
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG is on in production.",
                hint="Unset FUSIONTRACK_DEBUG (production defaults to off).",
                id="fusiontrack.E001",
            )
        )
    if settings.FUSIONTRACK_SECRET_KEY_IS_DEFAULT:
        errors.append(
            Error(
                "No secret key is set; production refuses the development key.",
                hint="Set FUSIONTRACK_SECRET_KEY (50+ random characters) or "
                "FUSIONTRACK_SECRET_KEY_FILE.",
                id="fusiontrack.E002",
            )
        )
    if (
        settings.FUSIONTRACK_DATABASE_IS_SQLITE
        and not settings.FUSIONTRACK_ALLOW_SQLITE_IN_PRODUCTION
    ):
        errors.append(
            Error(
                "Production is configured with SQLite.",
                hint="Set DATABASE_URL=postgres://..., or FUSIONTRACK_ALLOW_SQLITE_IN_PRODUCTION=1 "
                "to accept SQLite on purpose.",
                id="fusiontrack.E003",
            )
        )
    if not settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "No allowed host names in production.",
                hint="Set FUSIONTRACK_ALLOWED_HOSTS=registry.example.org",
                id="fusiontrack.E005",
            )
        )
    return errors


@register(Tags.security, Tags.database, deploy=False)
def demo_accounts_check(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[Error]:
    """Production refuses the public demo logins (same user name and demo password)."""
    if not _production() or not databases:
        return []
    return demo_account_errors()


def demo_account_errors() -> list[Error]:
    from django.contrib.auth import get_user_model

    try:
        users = list(get_user_model().objects.filter(username__in=DEMO_USERNAMES, is_active=True))
    except DatabaseError:
        return []  # not migrated yet: nothing to refuse
    found = sorted(u.username for u in users if u.check_password(DEMO_PASSWORD))
    if not found:
        return []
    return [
        Error(
            f"Demo logins with the public demo password exist: {', '.join(found)}.",
            hint="Change their passwords or deactivate them (Django admin or "
            "manage.py changepassword) before serving in production.",
            id="fusiontrack.E004",
        )
    ]
