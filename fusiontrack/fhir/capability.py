"""The CapabilityStatement served at GET /fhir/metadata, derived from the catalog table."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from fusiontrack import __version__
from fusiontrack.fhir import catalog, codes
from fusiontrack.fhir.search import DEFAULT_COUNT, MAX_COUNT

#: Published when this statement's content last changed (bump with the catalog).
STATEMENT_DATE = dt.date(2026, 1, 1)

BULK_EXPORT_DEFINITION = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"


def _resource(served: catalog.Served) -> dict[str, Any]:
    interactions = [{"code": "read"}, {"code": "search-type"}]
    if served.name == "QuestionnaireResponse":
        interactions.append({"code": "create"})
    return {
        "type": served.name,
        "interaction": interactions,
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": [
            {"name": p.name, "type": p.type, "documentation": p.documentation}
            for p in served.params()
        ],
    }


def _questionnaire() -> dict[str, Any]:
    return {
        "type": "Questionnaire",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": "url", "type": "uri", "documentation": "Canonical URL."},
            {"name": "_id", "type": "token", "documentation": "Instrument id."},
        ],
    }


@lru_cache(maxsize=16)  # keyed by base URL, which comes from the Host header
def capability_statement(base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": STATEMENT_DATE.isoformat(),
        "publisher": "fusiontrack",
        "kind": "instance",
        "software": {"name": "fusiontrack", "version": __version__},
        "implementation": {"description": "fusiontrack FHIR server", "url": base_url},
        "fhirVersion": codes.FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "JSON only (application/fhir+json); XML is refused with an OperationOutcome. "
                    f"Search pages hold _count resources (default {DEFAULT_COUNT}, at most "
                    f"{MAX_COUNT}) with self/first/previous/next/last links (_offset). "
                    "Authenticate with 'Authorization: Bearer <fusiontrack API token>'. "
                    "Posting a QuestionnaireResponse that is already stored (same patient plan, "
                    "questionnaire, time point, date and answers) answers 200 with the stored one."
                ),
                "security": {
                    "cors": False,
                    "description": "Per-user API tokens scoped to one site, read or write.",
                },
                "resource": [
                    *(_resource(s) for s in catalog.SERVED.values()),
                    _questionnaire(),
                ],
                "operation": [
                    {"name": "export", "definition": BULK_EXPORT_DEFINITION},
                ],
            }
        ],
    }
