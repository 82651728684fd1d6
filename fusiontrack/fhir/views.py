"""FHIR REST interactions: capabilities, read, search, create (QuestionnaireResponse).

Each view: authorise (sites the caller may see), query through the catalog, build, validate every
resource it sends, audit each patient record read, respond.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from fusiontrack.api.auth import audit_reads
from fusiontrack.core.instruments import INSTRUMENTS
from fusiontrack.fhir import build, catalog, search, validate
from fusiontrack.fhir.capability import capability_statement
from fusiontrack.fhir.create import create_questionnaire_response
from fusiontrack.fhir.http import body_json, fhir_view, require_write, respond
from fusiontrack.fhir.outcome import FhirError, Issue
from fusiontrack.registry import access


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/").rstrip("/")


def checked(resources: list[build.Resource]) -> list[build.Resource]:
    """Every resource we send validates (FUSIONTRACK_FHIR_VALIDATE_RESPONSES, default on)."""
    if getattr(settings, "FUSIONTRACK_FHIR_VALIDATE_RESPONSES", True):
        for resource in resources:
            validate.validate(resource)
    return resources


@fhir_view(public=True)
def metadata(request: HttpRequest) -> HttpResponse:
    return respond(checked([capability_statement(base_url(request))])[0])


@fhir_view()
def type_endpoint(request: HttpRequest, resource_type: str) -> HttpResponse:
    if request.method == "POST":
        return create(request, resource_type)
    if request.method not in {"GET", "HEAD"}:
        raise FhirError(405, f"{request.method} is not supported on {resource_type}.")
    if resource_type == "Questionnaire":
        return questionnaire_search(request)
    served = catalog.served(resource_type)
    site_ids = access.clinical_site_ids(request)
    return search_response(request, served, site_ids)


@fhir_view()
def instance(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    if request.method not in {"GET", "HEAD"}:
        raise FhirError(405, f"{request.method} is not supported on {resource_type}/{resource_id}.")
    if resource_type == "Questionnaire":
        instrument = build.instrument_for_questionnaire_id(resource_id)
        if instrument is None:
            raise FhirError(404, f"Questionnaire/{resource_id} is not known here.")
        return respond(checked([build.questionnaire(instrument)])[0])
    served = catalog.served(resource_type)
    site_ids = access.clinical_site_ids(request)
    row = (
        served.queryset(site_ids).filter(pk=int(resource_id)).first()
        if search.is_id_number(resource_id)
        else None
    )
    if row is None:
        raise FhirError(404, f"{resource_type}/{resource_id} is not known here.")
    resource = checked(served.build_page([row]))[0]
    patient_id, site_id = served.patient_and_site(row)
    audit_reads(request, [(row, patient_id, site_id)])
    return respond(resource, headers={"ETag": f'W/"{getattr(row, "version", 1)}"'})


def create(request: HttpRequest, resource_type: str) -> HttpResponse:
    if resource_type != "QuestionnaireResponse":
        raise FhirError(
            405, f"Creating {resource_type} is not supported; only QuestionnaireResponse."
        )
    require_write(request)
    response, created = create_questionnaire_response(request, body_json(request))
    resource = checked([build.questionnaire_response(response)])[0]
    location = f"{base_url(request)}/QuestionnaireResponse/{response.pk}"
    if not created:
        # A retry of a stored response: answer with it (200), as a conditional create would.
        audit_reads(request, [(response, response.patient_id, response.site_id)])
    status = 201 if created else 200
    return respond(resource, status, {"Location": location, "ETag": f'W/"{response.version}"'})


# -- search -------------------------------------------------------------------------------------


def _filters(request: HttpRequest, served: catalog.Served) -> Q:
    q = Q()
    params = request.GET
    for raw in params.getlist("patient") + params.getlist("subject"):
        q &= Q(**{served.patient_key: search.parse_patient("patient", raw)})
    if served.date is not None:
        ranges = [search.parse_date("date", v) for v in params.getlist("date")]
        q &= search.date_q(served.date.field, ranges, is_date=True)
    updated = [search.parse_date("_lastUpdated", v) for v in params.getlist("_lastUpdated")]
    q &= search.date_q(served.updated_field, updated, is_date=False)
    if served.code is not None:
        for alternatives in search.tokens(params.getlist("code")):
            q &= served.code(alternatives)
    for name, make_q in served.extra_q.items():
        for alternatives in search.tokens(params.getlist(name)):
            q &= make_q(alternatives)
    return q


def _allowed(served: catalog.Served) -> frozenset[str]:
    return frozenset({p.name for p in served.params()} | {"subject"})


def search_response(
    request: HttpRequest, served: catalog.Served, site_ids: list[int]
) -> HttpResponse:
    search.reject_unknown(request.GET.keys(), _allowed(served), served.name)
    count = search.parse_count(request.GET.get("_count"))
    offset = search.parse_offset(request.GET.get("_offset"))
    qs = served.queryset(site_ids).filter(_filters(request, served)).order_by("pk")
    total = qs.count()
    rows = list(qs[offset : offset + count]) if count else []
    resources = checked(served.build_page(rows))
    audit_reads(request, [(row, *served.patient_and_site(row)) for row in rows])
    return respond(bundle(request, served.name, resources, total, offset, count))


def questionnaire_search(request: HttpRequest) -> HttpResponse:
    search.reject_unknown(request.GET.keys(), frozenset({"url", "_id"}), "Questionnaire")
    count = search.parse_count(request.GET.get("_count"))
    offset = search.parse_offset(request.GET.get("_offset"))
    found = [build.questionnaire(i) for i in sorted(INSTRUMENTS.values(), key=lambda i: i.order)]
    for url in request.GET.getlist("url"):
        found = [q for q in found if q["url"] == url.partition("|")[0]]
    for ident in request.GET.getlist("_id"):
        found = [q for q in found if q["id"] in ident.split(",")]
    page = checked(found[offset : offset + count])
    return respond(bundle(request, "Questionnaire", page, len(found), offset, count))


def bundle(
    request: HttpRequest,
    resource_type: str,
    resources: list[build.Resource],
    total: int,
    offset: int,
    count: int,
) -> dict[str, Any]:
    base = base_url(request)
    # Links carry the page size actually used (a _count above MAX_COUNT was capped).
    params = [
        (k, str(count) if k == "_count" else v)
        for k, values in request.GET.lists()
        for v in values
        if k != "_offset"
    ]

    def link(relation: str, at: int) -> dict[str, str]:
        query = urlencode([*params, ("_offset", str(at))]) if at else urlencode(params)
        return {"relation": relation, "url": f"{base}/{resource_type}?{query}".rstrip("?")}

    links = [link("self", offset), link("first", 0)]
    if count:
        if offset > 0:
            links.append(link("previous", max(offset - count, 0)))
        if offset + count < total:
            links.append(link("next", offset + count))
        links.append(link("last", max((total - 1) // count * count, 0)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def not_found(request: HttpRequest, path: str) -> HttpResponse:
    return _not_found(request, path)


@fhir_view(public=True)
def _not_found(request: HttpRequest, path: str) -> HttpResponse:
    raise FhirError(404, [Issue(f"No FHIR endpoint at /fhir/{path}; see /fhir/metadata.")])
