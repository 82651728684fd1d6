"""Bulk Data endpoints (HL7 FHIR Bulk Data Access IG v2, group-level export of one site).

    GET|POST /fhir/Group/<site code>/$export   Prefer: respond-async  -> 202 + Content-Location
    GET      /fhir/$export-status/<job>        -> 202 (X-Progress) | 200 manifest | 500 outcome
    DELETE   /fhir/$export-status/<job>        -> 202, job cancelled and files deleted
    GET      /fhir/$export-file/<job>/<Type>.ndjson  -> application/fhir+ndjson

Only the user who kicked off a job may poll it and fetch its files (requiresAccessToken: true).
Exporting identifiable data is for admins, surgeons and coordinators of the site; researchers
use ``fusiontrack export deidentified``.
"""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone

from fusiontrack.fhir import build, export
from fusiontrack.fhir.http import body_json, fhir_view, respond
from fusiontrack.fhir.models import ExportJob
from fusiontrack.fhir.outcome import FhirError, Issue, information
from fusiontrack.fhir.search import parse_date
from fusiontrack.registry import access
from fusiontrack.registry.models import Site

EXPORT_ROLES = frozenset({"admin", "surgeon", "coordinator"})
NDJSON_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
KICK_OFF_PARAMS = frozenset({"_outputFormat", "_since", "_type", "_format"})


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/").rstrip("/")


#: Value element of each kick-off parameter in a POSTed Parameters resource (Bulk Data IG v2).
_PARAMETER_VALUES = {
    "_outputFormat": "valueString",
    "_type": "valueString",
    "_since": "valueInstant",
}


def _posted_parameters(request: HttpRequest) -> dict[str, str]:
    """A POST kick-off carries a FHIR Parameters resource; every name in it must be understood
    (ignoring one, e.g. _type, would export more than the client asked for)."""
    body = body_json(request) if request.body else {"resourceType": "Parameters"}
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError(400, "POST $export takes a Parameters resource (or an empty body).")
    found: dict[str, str] = {}
    issues = []
    for index, parameter in enumerate(body.get("parameter") or []):
        where = f"Parameters.parameter[{index}]"
        name = str(parameter.get("name")) if isinstance(parameter, dict) else ""
        element = _PARAMETER_VALUES.get(name)
        value = parameter.get(element) if element else None
        if element is None:
            issues.append(Issue(f"$export does not support {name!r}.", where, "not-supported"))
        elif not isinstance(value, str):
            issues.append(Issue(f"{name} needs {element}.", where))
        elif name == "_type" and name in found:
            found[name] += f",{value}"
        else:
            found[name] = value
    if issues:
        raise FhirError(400, issues)
    return found


def _kick_off_options(request: HttpRequest) -> tuple[list[str], dt.datetime | None]:
    # A POST takes its options from the body only: a query option would be silently dropped.
    understood = {"_format"} if request.method == "POST" else KICK_OFF_PARAMS
    unsupported = sorted(set(request.GET) - understood)
    if request.method == "POST":
        if unsupported:
            raise FhirError(400, "POST $export takes its options in the Parameters body.")
        params = _posted_parameters(request)
    else:
        if unsupported:
            raise FhirError(
                400,
                [Issue(f"$export does not support {p}.", p, "not-supported") for p in unsupported],
            )
        params = {name: ",".join(request.GET.getlist(name)) for name in request.GET}
    param = params.get
    fmt = param("_outputFormat")
    if fmt is not None and fmt not in NDJSON_FORMATS:
        raise FhirError(400, [Issue(f"_outputFormat {fmt!r}: only application/fhir+ndjson.")])
    types = list(export.EXPORT_TYPES)
    if raw := param("_type"):
        asked = [t.strip() for t in raw.split(",") if t.strip()]
        unknown = [t for t in asked if t not in export.EXPORT_TYPES]
        if unknown:
            allowed = ", ".join(export.EXPORT_TYPES)
            raise FhirError(400, [Issue(f"_type {', '.join(unknown)}: export has {allowed}.")])
        types = [t for t in export.EXPORT_TYPES if t in asked]
    since = None
    if raw := param("_since"):
        since = parse_date("_since", raw).low
    return types, since


@fhir_view()
def kick_off(request: HttpRequest, group_id: str) -> HttpResponse:
    if request.method not in {"GET", "POST"}:
        raise FhirError(405, "Use GET or POST to start an export.")
    if "respond-async" not in request.META.get("HTTP_PREFER", ""):
        raise FhirError(
            400, "Bulk export is asynchronous: send the header 'Prefer: respond-async'."
        )
    site = Site.objects.filter(code=group_id).first()
    role = access.role_at(request, site.pk) if site is not None else None
    if site is None or role is None:
        raise FhirError(404, f"Group/{group_id} is not known here (a Group is a site code).")
    if role not in EXPORT_ROLES:
        raise FhirError(
            403,
            "Your role cannot export identifiable data; researchers use "
            "'fusiontrack export deidentified'.",
        )
    types, since = _kick_off_options(request)
    job = ExportJob.objects.create(
        user=request.user,
        site=site,
        api_token_id=getattr(getattr(request, "api_token", None), "pk", None),
        request_url=request.build_absolute_uri()[:1000],
        types=types,
        since=since,
        transaction_time=timezone.now(),
    )
    export.audit_export(request, job, role, action="create")
    export.start(job)
    status_url = f"{_base(request)}/$export-status/{job.pk}"
    accepted = information(f"Export accepted; poll {status_url} for its files.")
    return respond(accepted, 202, {"Content-Location": status_url})


def _own_job(request: HttpRequest, job_id: object) -> ExportJob:
    job = ExportJob.objects.filter(pk=job_id, user=request.user).first()
    if job is None or job.status == "cancelled":
        raise FhirError(404, "No such export job (or it was cancelled).")
    if access.role_at(request, job.site_id) not in EXPORT_ROLES:
        raise FhirError(403, "Your role at this site no longer allows exports.")
    return job


@fhir_view()
def status(request: HttpRequest, job_id: object) -> HttpResponse:
    job = _own_job(request, job_id)
    if request.method == "DELETE":
        export.cancel(job)
        return HttpResponse(status=202)
    if job.status in {"queued", "running"}:
        response = HttpResponse(status=202)
        response["X-Progress"] = job.progress or job.status
        response["Retry-After"] = "2"
        return response
    if job.status == "failed":
        raise FhirError(500, [Issue(f"The export failed: {job.error}", code="exception")])
    base = _base(request)
    manifest = {
        "transactionTime": build.instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": o["type"],
                "url": f"{base}/$export-file/{job.pk}/{o['file']}",
                "count": o["count"],
            }
            for o in job.output
        ],
        "error": [],
    }
    response = respond(manifest)
    response["Content-Type"] = "application/json"
    return response


@fhir_view()
def file(request: HttpRequest, job_id: object, name: str) -> HttpResponse:
    job = _own_job(request, job_id)
    names = {o["file"] for o in job.output} if job.status == "completed" else set()
    if name not in names:
        raise FhirError(404, f"The export has no file {name}.")
    export.audit_export(request, job, access.role_at(request, job.site_id) or "")
    try:
        handle = (export.job_dir(job) / name).open("rb")
    except OSError:
        raise FhirError(410, f"The export file {name} is no longer on the server.") from None
    return FileResponse(handle, content_type="application/fhir+ndjson")
