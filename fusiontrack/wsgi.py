"""WSGI entry point (gunicorn fusiontrack.wsgi). Production refuses to start on failed checks."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fusiontrack.settings")

application = get_wsgi_application()


def _fail_closed() -> None:
    from django.conf import settings
    from django.core import checks
    from django.core.management.base import SystemCheckError

    if settings.FUSIONTRACK_ENV != "production":
        return
    errors = [
        e
        for e in checks.run_checks(include_deployment_checks=True, databases=["default"])
        if e.is_serious()
    ]
    if errors:
        raise SystemCheckError("fusiontrack refuses to serve:\n" + "\n".join(map(str, errors)))


_fail_closed()
