"""Validation with fhir.resources: the one module that imports it (STYLE.md practice 14).

Release used: fhir.resources 8.x, sub-package ``fhir.resources.R4B`` (FHIR 4.3.0). fhir.resources
has no R4 (4.0.1) package since 7.0; its default package is R5, which we must not use (R5 changed
Questionnaire, CarePlan and Observation). R4B is R4 plus new
resources (medication definition, evidence, subscription backport) and technical corrections.
For every resource fusiontrack serves (and each of their backbone elements, 46 classes) the
element names in R4B equal those of 4.0.1: ``tests/test_fhir_resources.py`` checks it against
fhirclient's models, which are generated from 4.0.1. What we do about the differences:

* R4B-only resource types are refused when posted (``check_r4_types``); we emit none.
* ``CapabilityStatement.fhirVersion`` is "4.0.1" (a code R4B's FHIRVersion value set contains).
* fhir.resources checks structure, cardinality, primitive formats and required elements; it does
  not check coded values against value sets or FHIRPath invariants. Semantic checks of posted
  QuestionnaireResponses (status, questionnaire, answers) are ours (``ingest.py``), and the
  real R4 client in the tests (fhirclient 4.x, generated from 4.0.1) parses what we serve.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

from pydantic import ValidationError

RELEASE = "R4B"

#: Resource types fusiontrack serves or accepts.
SERVED = (
    "Patient",
    "Condition",
    "Procedure",
    "Observation",
    "Questionnaire",
    "QuestionnaireResponse",
    "CarePlan",
    "CapabilityStatement",
    "OperationOutcome",
    "Bundle",
)

#: Resource types new in R4B, absent from R4 4.0.1 (FHIR R4B "Version history": new resources).
R4B_ONLY_TYPES = frozenset(
    {
        "AdministrableProductDefinition",
        "Citation",
        "ClinicalUseDefinition",
        "Evidence",
        "EvidenceReport",
        "EvidenceVariable",
        "Ingredient",
        "ManufacturedItemDefinition",
        "MedicinalProductDefinition",
        "NutritionProduct",
        "PackagedProductDefinition",
        "RegulatedAuthorization",
        "SubscriptionStatus",
        "SubscriptionTopic",
    }
)


class InvalidResource(ValueError):
    """A resource failed validation; ``issues`` are (FHIRPath-like location, message) pairs."""

    def __init__(self, resource_type: str, issues: list[tuple[str, str]]) -> None:
        self.resource_type = resource_type
        self.issues = issues
        joined = "; ".join(f"{where}: {what}" for where, what in issues)
        super().__init__(f"{resource_type} is not valid FHIR: {joined}")


@cache
def model_class(resource_type: str) -> Any:
    if resource_type not in SERVED:
        raise KeyError(resource_type)
    module = import_module(f"fhir.resources.{RELEASE}.{resource_type.lower()}")
    return getattr(module, resource_type)


def _location(resource_type: str, loc: tuple[Any, ...]) -> str:
    path = resource_type
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith("function-"):
            path += f".{part}"
    return path


def issues_of(resource_type: str, error: ValidationError) -> list[tuple[str, str]]:
    out = []
    for detail in error.errors(include_url=False):
        message = str(detail.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append((_location(resource_type, tuple(detail.get("loc", ()))), message))
    return out


def validate(resource: dict[str, Any]) -> Any:
    """Parse a resource dict with the R4B model of its type; InvalidResource when it fails."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        raise InvalidResource("Resource", [("resourceType", "is missing")])
    check_r4_types(resource_type)
    try:
        cls = model_class(resource_type)
    except KeyError:
        raise InvalidResource(
            resource_type, [("resourceType", f"{resource_type} is not served here")]
        ) from None
    try:
        return cls.model_validate(resource)
    except ValidationError as exc:
        raise InvalidResource(resource_type, issues_of(resource_type, exc)) from None


def check_r4_types(resource_type: str) -> None:
    if resource_type in R4B_ONLY_TYPES:
        raise InvalidResource(
            resource_type, [("resourceType", f"{resource_type} does not exist in FHIR R4 4.0.1")]
        )


def round_trip(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate and serialise back to a dict (what a FHIR client would read)."""
    import json

    return json.loads(validate(resource).model_dump_json())
