"""FHIR R4 resources as plain dicts, built from registry rows.

Builders return JSON-ready dicts (not fhir.resources models) so that reads, searches and bulk
export share one code path and export stays fast; ``validate.py`` checks what they produce
(every resource of a read or search page, a sample of an export). FHIR element names are kept
verbatim (STYLE.md practice 14).

Resource ids: Patient, Condition (Diagnosis), Procedure (Operation), QuestionnaireResponse and
CarePlan (Episode: its follow-up schedule) use the row's primary key; Observation uses the Score
row's key (one Observation per numeric score); Questionnaire uses the instrument id with ``_``
written as ``-`` (FHIR ids allow no underscore).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from fusiontrack.core import vocab
from fusiontrack.core.instruments import INSTRUMENTS, Instrument, Item, ScoreDef
from fusiontrack.fhir import codes

Resource = dict[str, Any]


def instant(value: dt.datetime) -> str:
    """A FHIR instant in UTC with microseconds, e.g. 2024-05-01T09:30:00.000000Z."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def meta(updated_at: dt.datetime | None) -> dict[str, str]:
    return {"lastUpdated": instant(updated_at)} if updated_at is not None else {}


def ref(resource_type: str, pk: object) -> dict[str, str]:
    return {"reference": f"{resource_type}/{pk}"}


def questionnaire_id(instrument_id: str) -> str:
    return instrument_id.replace("_", "-")


def instrument_for_questionnaire_id(resource_id: str) -> Instrument | None:
    return INSTRUMENTS.get(resource_id.replace("-", "_"))


# -- Patient ------------------------------------------------------------------------------------


def patient(row: Any) -> Resource:
    """``row``: a registry Patient with its site loaded."""
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(row.pk),
        "meta": meta(row.updated_at),
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": codes.IDENTIFIER_TYPE, "code": "MR"}]},
                "system": codes.mrn_system(row.site.code),
                "value": row.mrn,
            }
        ],
        "name": [{"use": "official", "family": row.family_name, "given": [row.given_name]}],
        "gender": row.sex,
        "birthDate": row.date_of_birth.isoformat(),
        "managingOrganization": {"display": row.site.name},
    }
    telecom = [{"system": "email", "value": row.email}] if row.email else []
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
    if telecom:
        resource["telecom"] = telecom
    if row.preferred_language:
        resource["communication"] = [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": row.preferred_language}]
                }
            }
        ]
    return resource


# -- Condition (diagnosis) ----------------------------------------------------------------------


def condition(row: Any) -> Resource:
    """``row``: a Diagnosis with ``episode`` loaded. Diagnoses have no standard code in our
    sources (shared/notes), so the code is fusiontrack's own CodeSystem."""
    resource: Resource = {
        "resourceType": "Condition",
        "id": str(row.pk),
        "meta": meta(row.updated_at),
        "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {
            "coding": [{"system": codes.CONDITION_VERIFICATION, "code": "confirmed"}]
        },
        "category": [
            {"coding": [{"system": codes.CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}
        ],
        "code": {
            "coding": [codes.vocab_coding(codes.CS_DIAGNOSIS, vocab.DIAGNOSES, row.diagnosis)],
            "text": row.get_diagnosis_display(),
        },
        "bodySite": [{"coding": [c.as_fhir()]} for c in codes.body_sites(row.levels)],
        "subject": ref("Patient", row.episode.patient_id),
        "recordedDate": row.diagnosed_on.isoformat(),
    }
    if row.meyerding_grade:
        resource["stage"] = [
            {
                "summary": {
                    "coding": [
                        codes.vocab_coding(
                            codes.CS_MEYERDING, vocab.MEYERDING_GRADES, row.meyerding_grade
                        )
                    ]
                }
            }
        ]
    if row.notes:
        resource["note"] = [{"text": row.notes}]
    return resource


# -- Procedure (operation) ----------------------------------------------------------------------


def procedure(row: Any) -> Resource:
    """``row``: an Operation with ``episode`` and ``surgeon`` loaded."""
    approach = codes.vocab_coding(codes.CS_APPROACH, vocab.APPROACHES, row.approach)
    resource: Resource = {
        "resourceType": "Procedure",
        "id": str(row.pk),
        "meta": meta(row.updated_at),
        "status": "completed",
        "code": {
            "coding": [codes.SPINAL_FUSION.as_fhir(), approach],
            "text": f"{row.get_levels_display()} {approach['display']}",
        },
        "subject": ref("Patient", row.episode.patient_id),
        "performedDateTime": row.operation_date.isoformat(),
        "bodySite": [{"coding": [c.as_fhir()]} for c in codes.body_sites(row.levels)],
    }
    if row.surgeon is not None:
        name = row.surgeon.get_full_name() or row.surgeon.get_username()
        resource["performer"] = [{"actor": {"display": name}}]
    if row.notes:
        resource["note"] = [{"text": row.notes}]
    return resource


# -- Observation (one score) --------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreInfo:
    """Everything an Observation needs about one score id, computed once."""

    instrument_id: str
    definition: ScoreDef
    code: Resource
    category_host_of: tuple[str, ...]


@cache
def score_infos() -> Mapping[str, ScoreInfo]:
    hosts: dict[str, list[str]] = {}
    for category, host in codes.CATEGORY_HOSTS.items():
        hosts.setdefault(host, []).append(category)
    infos: dict[str, ScoreInfo] = {}
    for instrument in INSTRUMENTS.values():
        for definition in instrument.scores:
            coding = [
                {"system": c.system, "code": c.code, "display": c.display} for c in definition.codes
            ]
            coding.append(
                {"system": codes.CS_SCORE, "code": definition.id, "display": definition.label}
            )
            infos[definition.id] = ScoreInfo(
                instrument.id,
                definition,
                {"coding": coding, "text": definition.label},
                tuple(hosts.get(definition.id, ())),
            )
    return infos


def score_measures_for_code(token: str) -> set[str]:
    """Score ids matching a FHIR token ``[system|]code`` (fusiontrack, LOINC or SNOMED CT)."""
    system, _, code = token.rpartition("|")
    found = set()
    for measure, info in score_infos().items():
        for coding in info.code["coding"]:
            if coding["code"] == code and (not system or coding["system"] == system):
                found.add(measure)
    return found


_SURVEY = [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey"}]}]


@dataclass(frozen=True)
class ScoreRow:
    """One stored score and what its Observation shows (from a Score row and its response)."""

    id: int
    patient_id: int
    response_id: int
    measure: str
    value: float
    responded_on: dt.date
    updated_at: dt.datetime | None
    categories: Mapping[str, Any]


def observation(row: ScoreRow) -> Resource:
    info = score_infos()[row.measure]
    resource: Resource = {
        "resourceType": "Observation",
        "id": str(row.id),
        "meta": meta(row.updated_at),
        "status": "final",
        "category": _SURVEY,
        "code": info.code,
        "subject": ref("Patient", row.patient_id),
        "effectiveDateTime": row.responded_on.isoformat(),
        "derivedFrom": [ref("QuestionnaireResponse", row.response_id)],
    }
    resource.update(observation_value(info.definition, row.value))
    interpretation = [
        {"coding": [category_coding(name, row.categories[name])]}
        for name in info.category_host_of
        if row.categories.get(name) is not None
    ]
    if interpretation:
        resource["interpretation"] = interpretation
    return resource


def observation_value(definition: ScoreDef, value: float) -> Resource:
    """value[x] by score type (R4 Observation has no valueDecimal: numbers are Quantities)."""
    if definition.type == "flag":
        return {"valueBoolean": bool(value)}
    if definition.type == "integer":
        return {"valueInteger": int(value)}
    unit = codes.ucum_unit(definition.unit)
    return {
        "valueQuantity": {
            "value": float(value),
            "unit": definition.unit or unit,
            "system": codes.UCUM,
            "code": unit,
        }
    }


def category_coding(score_id: str, value: object) -> dict[str, str]:
    definition = score_infos()[score_id].definition
    labels = {str(option.value): option.label for option in definition.categories}
    return {
        "system": f"{codes.CS_SCORE_BAND}/{score_id}",
        "code": str(value),
        "display": labels.get(str(value), str(value)),
    }


# -- Questionnaire ------------------------------------------------------------------------------


def answer_code(value: float | str) -> str:
    """The code of an answer option: its stored value, integers without '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number_type(item: Item) -> str:
    values = (item.minimum, item.maximum, item.step)
    return "integer" if all(v is None or float(v).is_integer() for v in values) else "decimal"


def questionnaire_item(instrument: Instrument, item: Item) -> Resource:
    out: Resource = {"linkId": item.id, "text": item.text or item.label, "prefix": item.label}
    if item.codes:
        out["code"] = [
            {"system": c.system, "code": c.code, "display": c.display} for c in item.codes
        ]
    if item.options:
        out["type"] = "choice"
        system = codes.answer_system(instrument.id)
        out["answerOption"] = [
            {
                "valueCoding": {
                    "system": system,
                    "code": answer_code(option.value),
                    "display": option.label,
                }
            }
            for option in item.options
        ]
        return out
    kind = _number_type(item)
    out["type"] = kind
    value_key = "valueInteger" if kind == "integer" else "valueDecimal"
    extensions = []
    for url, bound in ((codes.EXT_MIN_VALUE, item.minimum), (codes.EXT_MAX_VALUE, item.maximum)):
        if bound is not None:
            number = int(bound) if kind == "integer" else float(bound)
            extensions.append({"url": url, value_key: number})
    if extensions:
        out["extension"] = extensions
    return out


def questionnaire(instrument: Instrument) -> Resource:
    resource: Resource = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(instrument.id),
        "url": codes.questionnaire_url(instrument.id),
        "version": instrument.version,
        "name": "".join(ch for ch in instrument.short_title.title() if ch.isalnum()) or "Q",
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": instrument.description,
        "copyright": instrument.licence.notice,
        "item": [questionnaire_item(instrument, item) for item in instrument.items],
    }
    if instrument.codes:
        resource["code"] = [
            {"system": c.system, "code": c.code, "display": c.display} for c in instrument.codes
        ]
    return resource


# -- QuestionnaireResponse ----------------------------------------------------------------------


def answer_value(item: Item, instrument_id: str, value: object) -> Resource | None:
    if value is None or value == "":
        return None
    if item.options:
        labels = {answer_code(o.value): o.label for o in item.options}
        code = answer_code(value if isinstance(value, str) else float(value))  # type: ignore[arg-type]
        return {
            "valueCoding": {
                "system": codes.answer_system(instrument_id),
                "code": code,
                "display": labels.get(code, code),
            }
        }
    number = float(value)  # type: ignore[arg-type]
    if _number_type(item) == "integer" and number.is_integer():
        return {"valueInteger": int(number)}
    return {"valueDecimal": number}


def questionnaire_response(row: Any) -> Resource:
    """``row``: a registry QuestionnaireResponse."""
    instrument = INSTRUMENTS[row.instrument_id]
    items = []
    for item in instrument.items:
        answer = answer_value(item, instrument.id, row.answers.get(item.id))
        entry: Resource = {"linkId": item.id, "text": item.label}
        if answer is not None:
            entry["answer"] = [answer]
        items.append(entry)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(row.pk),
        "meta": meta(row.updated_at),
        "extension": [
            {"url": codes.EXT_TIMEPOINT, "valueCoding": codes.timepoint_coding(row.timepoint)}
        ],
        "questionnaire": f"{codes.questionnaire_url(instrument.id)}|{row.instrument_version}",
        "status": "completed" if row.complete else "in-progress",
        "subject": ref("Patient", row.patient_id),
        "basedOn": [ref("CarePlan", row.episode_id)],
        "authored": row.responded_on.isoformat(),
        "item": items,
    }


# -- CarePlan (follow-up schedule of an episode) ------------------------------------------------

_EPISODE_STATUS = {"withdrawn": "revoked", "follow_up_complete": "completed"}
_FOLLOW_UP_STATUS = {"pending": "scheduled", "completed": "completed", "missed": "stopped"}


def care_plan(episode: Any, follow_ups: Iterable[Any]) -> Resource:
    """The follow-up schedule: one activity per time point, its window as the period."""
    follow_ups = list(follow_ups)
    updated = [episode.updated_at, *(f.updated_at for f in follow_ups)]
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": str(episode.pk),
        "meta": meta(max(u for u in updated if u is not None)),
        "status": _EPISODE_STATUS.get(episode.stage, "active" if follow_ups else "draft"),
        "intent": "plan",
        "title": f"Follow-up schedule: {episode.title or f'episode {episode.pk}'}",
        "subject": ref("Patient", episode.patient_id),
        "created": episode.opened_on.isoformat(),
    }
    surgery = episode.surgery_date or episode.planned_surgery_date
    if surgery is not None:
        resource["period"] = {"start": surgery.isoformat()}
    if follow_ups:
        resource["activity"] = [_activity(f) for f in follow_ups]
    return resource


def _activity(follow_up: Any) -> Resource:
    label = dict(vocab.TIMEPOINTS).get(follow_up.timepoint, follow_up.timepoint)
    detail: Resource = {
        "kind": "Task",
        "code": {"coding": [codes.timepoint_coding(follow_up.timepoint)]},
        "status": _FOLLOW_UP_STATUS.get(follow_up.status, "unknown"),
        "scheduledPeriod": {
            "start": follow_up.window_opens_on.isoformat(),
            "end": follow_up.window_closes_on.isoformat(),
        },
        "description": f"{label} questionnaires, due {follow_up.due_on.isoformat()}",
    }
    return {"detail": detail}
