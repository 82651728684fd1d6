"""The NinjaAPI instance: OpenAPI at /api/openapi.json, docs at /api/docs, one error shape."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from ninja import NinjaAPI

from fusiontrack import __version__
from fusiontrack.api import errors
from fusiontrack.api.auth import TOKEN_OR_SESSION
from fusiontrack.api.routes import cohort, patients, records, responses, tokens


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> HttpResponse:
    response = JsonResponse(errors.error_body(status, message), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _shaped_405(view: Callable[..., Any]) -> Callable[..., Any]:
    """django-ninja answers a wrong method with a plain-text 405 and /api/ with an HTML 404;
    give both the error shape."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # only ninja's root view raises; operations answer their own
            return _unknown_path(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            return _error(
                405, f"{request.method} is not allowed here; use {allowed}.", {"Allow": allowed}
            )
        return response

    return wrapped


def _unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, f"No API endpoint at /api/{rest}; see /api/openapi.json.")


_unknown_path.csrf_exempt = True  # type: ignore[attr-defined]


class FusiontrackAPI(NinjaAPI):
    """NinjaAPI whose every answer under /api/ has the one error shape, unknown paths included."""

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        shaped: list[Any] = []
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _shaped_405(pattern.callback)
            shaped.append(pattern)
        shaped.append(re_path(r"^(?P<rest>.*)$", _unknown_path, name="unknown"))
        return shaped, app_name, namespace


api = FusiontrackAPI(
    title="fusiontrack API",
    version=__version__,
    description=(
        "Typed API for the fusiontrack registry. Authenticate with a per-user API token "
        "(`Authorization: Bearer ft_...`, scoped to one site, read or write) or the staff "
        "session. Every read of patient data is audited. Errors: "
        '`{"error": {"status", "code", "message", "fields"?}}`.'
    ),
    auth=TOKEN_OR_SESSION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)

for module in (patients, records, responses, cohort, tokens):
    api.add_router("", module.router)
