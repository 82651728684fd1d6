"""Template context every page needs: the environment label (synthetic demo data)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def fusiontrack(request: HttpRequest) -> dict[str, object]:
    return {
        "fusiontrack_env": settings.FUSIONTRACK_ENV,
        "synthetic_data": settings.FUSIONTRACK_ENV == "demo",
    }
