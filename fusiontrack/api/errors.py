"""The REST API's one error shape, rendered in one place for every failure.

    {"error": {"status": 422, "code": "invalid", "message": "...", "fields": [
        {"field": "body.mrn", "message": "Field required"}]}}

``code`` is stable and short (``unauthenticated``, ``forbidden``, ``not_found``, ``invalid``,
``conflict``, ``server_error``); ``message`` says what to do next; ``fields`` appears only for
validation errors. No stack trace ever reaches the client.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from fusiontrack.api.tokens import TokenError
from fusiontrack.core.errors import FusiontrackError
from fusiontrack.registry.services import StaleRecord

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    500: "server_error",
}


class ApiError(Exception):
    """Raise from an endpoint to answer with the error shape."""

    def __init__(self, status: int, message: str, fields: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or []


def error_body(status: int, message: str, fields: list[dict[str, str]] | None = None) -> dict:
    body: dict[str, Any] = {
        "status": status,
        "code": CODES.get(status, "error"),
        "message": message,
    }
    if fields:
        body["fields"] = fields
    return {"error": body}


def _loc(loc: Any) -> str:
    return ".".join(str(part) for part in loc if part not in {"payload"})


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every failure into the error shape."""

    def respond(request: HttpRequest, status: int, message: str, fields=None) -> HttpResponse:
        return api.create_response(request, error_body(status, message, fields), status=status)

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, exc.message, exc.fields)

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = [
            {"field": _loc(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors
        ]
        return respond(request, 422, "The request is not valid; see fields.", fields)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = str(exc) if str(exc) and str(exc) != "Unauthorized" else ""
        return respond(
            request,
            401,
            message or "Log in, or send 'Authorization: Bearer <token>' with an API token.",
        )

    @api.exception_handler(AuthorizationError)
    def _forbidden_ninja(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return respond(request, 403, str(exc) or "Not allowed.")

    @api.exception_handler(TokenError)
    def _bad_token(request: HttpRequest, exc: TokenError) -> HttpResponse:
        return respond(request, 401, str(exc))

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, str(exc) or "Your role does not allow this.")

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, str(exc) or "Not found.")

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(request, exc.status_code, str(exc))

    @api.exception_handler(StaleRecord)
    def _stale(request: HttpRequest, exc: StaleRecord) -> HttpResponse:
        return respond(request, 409, str(exc))

    @api.exception_handler(FusiontrackError)
    def _domain(request: HttpRequest, exc: FusiontrackError) -> HttpResponse:
        return respond(request, 422, str(exc))

    @api.exception_handler(DataError)
    def _out_of_range(request: HttpRequest, exc: DataError) -> HttpResponse:
        return respond(request, 422, "A value in the request is out of range or not storable.")

    @api.exception_handler(OverflowError)
    def _overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        return respond(request, 422, "A number in the request is out of range.")

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API request failed: %s %s", request.method, request.path)
        return respond(request, 500, "Something went wrong on the server; it has been logged.")
