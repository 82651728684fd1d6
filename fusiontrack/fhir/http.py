"""The HTTP edge of the FHIR server: JSON-only negotiation, authentication, errors as
OperationOutcome. Every FHIR view is wrapped by ``fhir_view`` so none can forget one of them."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from fusiontrack.api import tokens
from fusiontrack.core.errors import FusiontrackError
from fusiontrack.fhir.outcome import FhirError, Issue, operation_outcome

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
JSON_TYPES = frozenset({FHIR_JSON, "application/json", "application/json+fhir"})
JSON_FORMATS = frozenset({"json", *JSON_TYPES})
XML_TYPES = frozenset({"application/fhir+xml", "application/xml", "text/xml", "xml"})
TOO_DEEP = "The body is nested too deeply to be a FHIR resource."
JSON_ONLY = (
    "This server speaks FHIR JSON only; XML is not supported. Ask for application/fhir+json "
    "(Accept header or _format=json)."
)


def respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome(status: int, issues: list[Issue]) -> HttpResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="fusiontrack"'} if status == 401 else None
    return respond(operation_outcome(status, issues), status, headers)


def _media_types(header: str) -> list[str]:
    return [part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()]


def negotiate(request: HttpRequest) -> None:
    """Refuse XML (and any non-JSON format) with a clear OperationOutcome."""
    fmt = request.GET.get("_format")
    if fmt is not None and fmt.strip().lower() not in JSON_FORMATS:
        raise FhirError(406, [Issue(f"_format={fmt!r}: {JSON_ONLY}", "_format", "not-supported")])
    accepted = _media_types(request.META.get("HTTP_ACCEPT", ""))
    jsonish = {*JSON_TYPES, "*/*", "application/*", "application/fhir+ndjson"}
    if accepted and not jsonish & set(accepted) and XML_TYPES & set(accepted):
        raise FhirError(406, [Issue(f"Accept: {', '.join(accepted)}. {JSON_ONLY}")])
    if request.method in {"POST", "PUT", "PATCH"}:
        content_type = _media_types(request.META.get("CONTENT_TYPE", ""))
        kind = content_type[0] if content_type else ""
        if kind not in JSON_TYPES:
            sent = kind or "no Content-Type"
            raise FhirError(
                415,
                [Issue(f"Content-Type {sent}: {JSON_ONLY} Send application/fhir+json.")],
            )


def authenticate(request: HttpRequest) -> None:
    """An API token, else the staff session (CSRF-checked when it writes)."""
    if tokens.authenticate(request) is not None:
        return
    if not request.user.is_authenticated:
        raise FhirError(
            401, [Issue("Send 'Authorization: Bearer <fusiontrack API token>'.", code="login")]
        )
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        failure = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
        if failure is not None:
            raise FhirError(
                403, "Writes with the staff session need a CSRF token; use an API token."
            )


def require_write(request: HttpRequest) -> None:
    if not tokens.may_write(request):
        raise FhirError(403, "This API token is read-only; ask for a token with scope write.")


def body_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except RequestDataTooBig:
        raise FhirError(413, "The request body is too large.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FhirError(400, f"The body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise FhirError(400, TOO_DEEP) from None


def fhir_view(public: bool = False) -> Callable[[Callable[..., HttpResponse]], Any]:
    def wrap(view: Callable[..., HttpResponse]) -> Any:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                negotiate(request)
                if not public:
                    authenticate(request)
                return view(request, *args, **kwargs)
            except FhirError as exc:
                return outcome(exc.status, exc.issues)
            except tokens.TokenError as exc:
                return outcome(401, [Issue(str(exc), code="login")])
            except PermissionDenied as exc:
                return outcome(403, [Issue(str(exc) or "Your role does not allow this.")])
            except Http404 as exc:
                return outcome(404, [Issue(str(exc) or "Not found.")])
            except RequestDataTooBig:
                return outcome(413, [Issue("The request body is too large.")])
            except FusiontrackError as exc:
                return outcome(422, [Issue(str(exc))])
            except (DataError, OverflowError):
                return outcome(400, [Issue("A value in the request is out of range.")])
            except RecursionError:
                return outcome(400, [Issue(TOO_DEEP)])
            except Exception:
                log.exception("FHIR request failed: %s %s", request.method, request.path)
                return outcome(500, [Issue("Something went wrong on the server; it is logged.")])

        return wrapped

    return wrap
