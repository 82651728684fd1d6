"""Which registry rows each FHIR resource type serves, and how its search parameters map to SQL.

One entry per type, so reads, searches, the CapabilityStatement and Bulk export share one table.
Every queryset starts from the sites the caller may see (``site_ids``): a row of another site is
simply absent (a read is a 404, as in the staff UI).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from fusiontrack.core import vocab
from fusiontrack.fhir import build, codes
from fusiontrack.fhir.outcome import FhirError, Issue
from fusiontrack.fhir.search import is_id_number
from fusiontrack.registry.models import (
    Diagnosis,
    Episode,
    Operation,
    Patient,
    QuestionnaireResponse,
    Score,
)


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # FHIR SearchParamType: date, token, reference, uri
    field: str
    documentation: str


@dataclass(frozen=True)
class Served:
    """A FHIR resource type backed by a registry table."""

    name: str
    queryset: Callable[[Sequence[int]], QuerySet]
    build_page: Callable[[list[Any]], list[build.Resource]]
    patient_field: str
    site_field: str
    updated_field: str
    date: SearchParam | None
    code: Callable[[list[str]], Q] | None = None
    extra: dict[str, SearchParam] = field(default_factory=dict)
    extra_q: dict[str, Callable[[list[str]], Q]] = field(default_factory=dict)

    def params(self) -> list[SearchParam]:
        out = [SearchParam("patient", "reference", self.patient_field, "The patient (Patient/id).")]
        if self.date is not None:
            out.append(self.date)
        if self.code is not None:
            out.append(SearchParam("code", "token", "", "[system|]code, comma = OR."))
        out.append(
            SearchParam("_lastUpdated", "date", self.updated_field, "When the row last changed.")
        )
        out.extend(self.extra.values())
        return out

    @property
    def patient_key(self) -> str:
        return "pk" if self.patient_field == "id" else f"{self.patient_field}_id"

    def patient_and_site(self, row: Any) -> tuple[int, int]:
        if self.site_field == "episode__site":
            return row.episode.patient_id, row.episode.site_id
        if self.name == "Patient":
            return row.pk, row.site_id
        return row.patient_id, row.site_id


def _code_tokens(tokens: list[str], table: dict[tuple[str, str], str]) -> set[str]:
    found = set()
    for token in tokens:
        system, _, code = token.rpartition("|")
        found |= {v for (s, c), v in table.items() if c == code and (not system or s == system)}
    return found


# -- Patient ------------------------------------------------------------------------------------


def _patients(site_ids: Sequence[int]) -> QuerySet:
    return Patient.objects.filter(site_id__in=site_ids).select_related("site")


def _identifier_q(values: list[str]) -> Q:
    q = Q()
    for token in values:
        system, _, value = token.rpartition("|")
        part = Q(mrn=value)
        if system:
            site_code = system.removeprefix(codes.mrn_system(""))
            part &= Q(site__code=site_code) if site_code != system else Q(pk__in=[])
        q |= part
    return q


PATIENT = Served(
    name="Patient",
    queryset=_patients,
    build_page=lambda rows: [build.patient(r) for r in rows],
    patient_field="id",
    site_field="site",
    updated_field="updated_at",
    date=None,
    extra={
        "identifier": SearchParam("identifier", "token", "mrn", "MRN: [system|]value."),
        "_id": SearchParam("_id", "token", "id", "Logical id."),
    },
    extra_q={
        "identifier": _identifier_q,
        "_id": lambda values: Q(pk__in=[int(v) for v in values if is_id_number(v)]),
    },
)


# -- Condition ----------------------------------------------------------------------------------

_DIAGNOSIS_CODES = {(codes.CS_DIAGNOSIS, c): c for c in vocab.codes(vocab.DIAGNOSES)}

CONDITION = Served(
    name="Condition",
    queryset=lambda site_ids: Diagnosis.objects.filter(
        episode__site_id__in=site_ids
    ).select_related("episode"),
    build_page=lambda rows: [build.condition(r) for r in rows],
    patient_field="episode__patient",
    site_field="episode__site",
    updated_field="updated_at",
    date=SearchParam("date", "date", "diagnosed_on", "recordedDate (date of diagnosis)."),
    code=lambda tokens: Q(diagnosis__in=_code_tokens(tokens, _DIAGNOSIS_CODES)),
)

# -- Procedure ----------------------------------------------------------------------------------

_APPROACH_CODES = {(codes.CS_APPROACH, c): c for c in vocab.codes(vocab.APPROACHES)}


def _procedure_code(tokens: list[str]) -> Q:
    fusion = codes.SPINAL_FUSION
    if _code_tokens(tokens, {(fusion.system, fusion.code): "all"}):
        return Q()
    return Q(approach__in=_code_tokens(tokens, _APPROACH_CODES))


PROCEDURE = Served(
    name="Procedure",
    queryset=lambda site_ids: Operation.objects.filter(
        episode__site_id__in=site_ids
    ).select_related("episode", "surgeon"),
    build_page=lambda rows: [build.procedure(r) for r in rows],
    patient_field="episode__patient",
    site_field="episode__site",
    updated_field="updated_at",
    date=SearchParam("date", "date", "operation_date", "performed[x] (operation date)."),
    code=_procedure_code,
)


# -- Observation --------------------------------------------------------------------------------


def score_row(score: Score) -> build.ScoreRow:
    response = score.response
    return build.ScoreRow(
        id=score.pk,
        patient_id=score.patient_id,
        response_id=score.response_id,
        measure=score.measure,
        value=score.value,
        responded_on=score.responded_on,
        updated_at=response.updated_at,
        categories=response.scores,
    )


OBSERVATION = Served(
    name="Observation",
    queryset=lambda site_ids: Score.objects.filter(site_id__in=site_ids).select_related("response"),
    build_page=lambda rows: [build.observation(score_row(r)) for r in rows],
    patient_field="patient",
    site_field="site",
    updated_field="response__updated_at",
    date=SearchParam("date", "date", "responded_on", "effective[x] (date answered)."),
    code=lambda tokens: Q(
        measure__in=set().union(*(build.score_measures_for_code(t) for t in tokens))
    ),
)

# -- QuestionnaireResponse ----------------------------------------------------------------------


def _questionnaire_q(values: list[str]) -> Q:
    ids = set()
    for value in values:
        url, _, version = value.partition("|")
        instrument = url.rstrip("/").rsplit("/", 1)[-1].replace("-", "_")
        if url == codes.questionnaire_url(instrument) or value == instrument:
            ids.add((instrument, version))
    q = Q(pk__in=[])
    for instrument, version in ids:
        q |= Q(instrument_id=instrument, **({"instrument_version": version} if version else {}))
    return q


QUESTIONNAIRE_RESPONSE = Served(
    name="QuestionnaireResponse",
    queryset=lambda site_ids: QuestionnaireResponse.objects.filter(site_id__in=site_ids),
    build_page=lambda rows: [build.questionnaire_response(r) for r in rows],
    patient_field="patient",
    site_field="site",
    updated_field="updated_at",
    date=SearchParam("date", "date", "responded_on", "authored (date answered)."),
    extra={
        "questionnaire": SearchParam(
            "questionnaire", "reference", "instrument_id", "Questionnaire canonical URL."
        )
    },
    extra_q={"questionnaire": _questionnaire_q},
)

# -- CarePlan -----------------------------------------------------------------------------------


def _care_plans(site_ids: Sequence[int]) -> QuerySet:
    return Episode.objects.filter(site_id__in=site_ids).prefetch_related("follow_ups")


CARE_PLAN = Served(
    name="CarePlan",
    queryset=_care_plans,
    build_page=lambda rows: [
        build.care_plan(r, sorted(r.follow_ups.all(), key=lambda f: (f.due_on, f.pk))) for r in rows
    ],
    patient_field="patient",
    site_field="site",
    updated_field="updated_at",
    date=SearchParam("date", "date", "surgery_date", "period (starts at the surgery date)."),
)

SERVED: dict[str, Served] = {
    s.name: s
    for s in (PATIENT, CONDITION, PROCEDURE, OBSERVATION, QUESTIONNAIRE_RESPONSE, CARE_PLAN)
}


def served(resource_type: str) -> Served:
    found = SERVED.get(resource_type)
    if found is None:
        known = ", ".join([*SERVED, "Questionnaire"])
        raise FhirError(
            404, [Issue(f"This server has no resource type {resource_type}; it serves {known}.")]
        )
    return found
