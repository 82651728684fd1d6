"""A QuestionnaireResponse from another system → the registry's answers, or exact issues.

Shared by POST /fhir/QuestionnaireResponse and the importers. Parsing uses lean strict pydantic
models of the R4 elements we read (fast enough for 100,000-row imports; the full fhir.resources
model costs ~0.4 ms per response and is used for single POSTs). Answers are then checked against
the Questionnaire built from the instrument definition and scored by the core.

Accepted answers: ``valueCoding`` whose code is an answer option (its system, if sent, must be
the instrument's answer CodeSystem), ``valueInteger``/``valueDecimal`` for numeric items or equal
to an option's value, ``valueString`` equal to an option code. Items may be nested in groups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fusiontrack.core import vocab
from fusiontrack.core.errors import ScoringError
from fusiontrack.core.instruments import INSTRUMENTS, Instrument
from fusiontrack.fhir import build, codes
from fusiontrack.fhir.outcome import Issue
from fusiontrack.fhir.search import is_id_number

ACCEPTED_STATUS = ("completed", "amended", "in-progress")


class _Lenient(BaseModel):
    """Known R4 elements we do not use are allowed and ignored; unknown ones are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Coding(_Lenient):
    system: str | None = None
    version: str | None = None
    code: str | None = None
    display: str | None = None
    userSelected: bool | None = None
    id: str | None = None
    extension: list[Any] | None = None


class Identifier(_Lenient):
    system: str | None = None
    value: str | None = None
    use: str | None = None
    type: Any = None
    period: Any = None
    assigner: Any = None
    id: str | None = None
    extension: list[Any] | None = None


class Reference(_Lenient):
    reference: str | None = None
    identifier: Identifier | None = None
    display: str | None = None
    type: str | None = None
    id: str | None = None
    extension: list[Any] | None = None


class Extension(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str
    valueCoding: Coding | None = None
    valueCode: str | None = None


class Answer(_Lenient):
    valueCoding: Coding | None = None
    valueInteger: int | None = Field(default=None, strict=True)
    valueDecimal: float | None = None
    valueString: str | None = None
    valueBoolean: bool | None = None
    item: list[Item] | None = None
    id: str | None = None
    extension: list[Any] | None = None
    modifierExtension: list[Any] | None = None


class Item(_Lenient):
    linkId: str
    text: str | None = None
    definition: str | None = None
    answer: list[Answer] | None = None
    item: list[Item] | None = None
    id: str | None = None
    extension: list[Any] | None = None
    modifierExtension: list[Any] | None = None


class QuestionnaireResponseIn(_Lenient):
    resourceType: Literal["QuestionnaireResponse"]
    id: str | None = None
    meta: Any = None
    implicitRules: str | None = None
    language: str | None = None
    text: Any = None
    contained: list[Any] | None = None
    extension: list[Extension] | None = None
    modifierExtension: list[Any] | None = None
    identifier: Identifier | None = None
    basedOn: list[Reference] | None = None
    partOf: list[Reference] | None = None
    questionnaire: str | None = None
    status: str
    subject: Reference | None = None
    encounter: Reference | None = None
    authored: str | None = None
    author: Reference | None = None
    source: Reference | None = None
    item: list[Item] | None = None


Answer.model_rebuild()
Item.model_rebuild()


def parse(resource: dict[str, Any]) -> tuple[QuestionnaireResponseIn | None, list[Issue]]:
    """Structure check (lean model); issues carry FHIRPath-like expressions."""
    try:
        return QuestionnaireResponseIn.model_validate(resource), []
    except ValidationError as exc:
        return None, [
            Issue(str(e["msg"]), expression=_path(e["loc"]), code="structure")
            for e in exc.errors(include_url=False)
        ]


def _path(loc: tuple[Any, ...]) -> str:
    out = "QuestionnaireResponse"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


# -- the questionnaire and its answers ----------------------------------------------------------


@cache
def _option_values(instrument_id: str) -> dict[str, dict[str, float | str]]:
    """item id -> {answer code: stored value} for items with answer options."""
    instrument = INSTRUMENTS[instrument_id]
    return {
        item.id: {build.answer_code(o.value): o.value for o in item.options}
        for item in instrument.items
        if item.options
    }


def instrument_for(canonical: str | None) -> tuple[Instrument | None, list[Issue]]:
    if not canonical:
        return None, [
            Issue(
                "QuestionnaireResponse.questionnaire is required: the canonical URL of one of "
                f"this server's Questionnaires, e.g. {codes.questionnaire_url('odi')}.",
                expression="QuestionnaireResponse.questionnaire",
                code="required",
            )
        ]
    url, _, version = canonical.partition("|")
    instrument = build.instrument_for_questionnaire_id(url.rstrip("/").rsplit("/", 1)[-1])
    if instrument is None or codes.questionnaire_url(instrument.id) != url:
        known = ", ".join(codes.questionnaire_url(i) for i in sorted(INSTRUMENTS))
        return None, [
            Issue(
                f"Unknown questionnaire {canonical!r}; this server knows {known}.",
                expression="QuestionnaireResponse.questionnaire",
                code="not-found",
            )
        ]
    if version and version != instrument.version:
        return None, [
            Issue(
                f"{instrument.short_title} version {version!r} is not supported; this server "
                f"scores version {instrument.version!r}.",
                expression="QuestionnaireResponse.questionnaire",
                code="not-supported",
            )
        ]
    return instrument, []


def _flatten(items: list[Item] | None, prefix: str) -> list[tuple[str, Item]]:
    out: list[tuple[str, Item]] = []
    for index, item in enumerate(items or []):
        where = f"{prefix}.item[{index}]"
        out.append((where, item))
        out.extend(_flatten(item.item, where))
        for a_index, answer in enumerate(item.answer or []):
            out.extend(_flatten(answer.item, f"{where}.answer[{a_index}]"))
    return out


def answers_for(
    instrument: Instrument, items: list[Item] | None
) -> tuple[dict[str, float | str], list[Issue]]:
    """The answers dict the core scores, and an issue for every answer it cannot read."""
    known = set(instrument.item_ids)
    options = _option_values(instrument.id)
    system = codes.answer_system(instrument.id)
    answers: dict[str, float | str] = {}
    issues: list[Issue] = []
    for where, item in _flatten(items, "QuestionnaireResponse"):
        if item.linkId not in known:
            if item.answer and not item.item:
                issues.append(
                    Issue(
                        f"linkId {item.linkId!r} is not an item of {instrument.short_title} "
                        f"({codes.questionnaire_url(instrument.id)}).",
                        expression=f"{where}.linkId",
                    )
                )
            continue
        given = item.answer or []
        if len(given) > 1:
            issues.append(
                Issue(f"{item.linkId} allows one answer, got {len(given)}.", f"{where}.answer")
            )
            continue
        if not given:
            continue
        value, problem = _answer_value(given[0], options.get(item.linkId), system)
        if problem:
            issues.append(Issue(f"{item.linkId}: {problem}", f"{where}.answer[0]"))
            continue
        if value is not None and item.linkId not in options:
            problem = _out_of_range(instrument, item.linkId, value)
            if problem:
                issues.append(Issue(problem, f"{where}.answer[0]"))
                continue
        if value is not None:
            # 2, not 2.0: stored answers look the same whichever way they arrived.
            integral = isinstance(value, float) and value.is_integer()
            answers[item.linkId] = int(value) if integral else value
    return answers, issues


@cache
def _items(instrument_id: str) -> dict[str, Any]:
    return {item.id: item for item in INSTRUMENTS[instrument_id].items}


def _out_of_range(instrument: Instrument, item_id: str, value: float | str) -> str | None:
    """The core's own check of a numeric answer, so every problem is reported in one pass
    (the core would otherwise stop at the first out-of-range item when scoring)."""
    try:
        _items(instrument.id)[item_id].coerce(value)
    except ScoringError as exc:
        return str(exc)
    return None


def _answer_value(
    answer: Answer, options: dict[str, float | str] | None, system: str
) -> tuple[float | str | None, str | None]:
    if answer.valueCoding is not None:
        coding = answer.valueCoding
        if options is None:
            return None, "expects a number (valueInteger or valueDecimal), not valueCoding."
        if coding.system not in (None, system):
            return None, f"valueCoding.system must be {system}, not {coding.system!r}."
        if coding.code not in options:
            return None, f"code {coding.code!r} is not an answer option ({', '.join(options)})."
        return options[coding.code], None
    number = answer.valueInteger if answer.valueInteger is not None else answer.valueDecimal
    if number is not None:
        if options is not None and build.answer_code(float(number)) not in options:
            allowed = ", ".join(options)
            return None, f"{number} is not an answer option ({allowed})."
        return float(number), None
    if answer.valueString is not None and options is not None:
        if answer.valueString not in options:
            return None, f"{answer.valueString!r} is not an answer option ({', '.join(options)})."
        return options[answer.valueString], None
    return None, "unsupported answer type; use valueCoding, valueInteger or valueDecimal."


# -- header fields ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """What the registry needs besides the answers; None where the resource did not say."""

    authored: dt.date | None
    timepoint: str | None
    care_plan_id: int | None
    entry_mode: str


def header(qr: QuestionnaireResponseIn) -> tuple[Header, list[Issue]]:
    issues: list[Issue] = []
    if qr.status not in ACCEPTED_STATUS:
        issues.append(
            Issue(
                f"status {qr.status!r} cannot be stored; use one of {', '.join(ACCEPTED_STATUS)}.",
                "QuestionnaireResponse.status",
            )
        )
    authored = None
    if not qr.authored:
        issues.append(
            Issue(
                "QuestionnaireResponse.authored is required (the date the patient answered).",
                "QuestionnaireResponse.authored",
                code="required",
            )
        )
    else:
        try:
            authored = dt.date.fromisoformat(qr.authored[:10])
        except ValueError:
            issues.append(
                Issue(
                    f"authored {qr.authored!r} is not a FHIR dateTime.",
                    "QuestionnaireResponse.authored",
                )
            )
    timepoint = None
    for ext in qr.extension or []:
        if ext.url == codes.EXT_TIMEPOINT:
            timepoint = ext.valueCode or (ext.valueCoding.code if ext.valueCoding else None)
            if timepoint not in vocab.codes(vocab.TIMEPOINTS):
                allowed = ", ".join(vocab.codes(vocab.TIMEPOINTS))
                issues.append(
                    Issue(
                        f"time point {timepoint!r} is unknown; use one of {allowed}.",
                        "QuestionnaireResponse.extension",
                    )
                )
    care_plan = None
    for index, based in enumerate(qr.basedOn or []):
        if based.reference and based.reference.startswith("CarePlan/"):
            tail = based.reference.removeprefix("CarePlan/")
            if is_id_number(tail):
                care_plan = int(tail)
            else:
                issues.append(
                    Issue(
                        f"basedOn {based.reference!r} is not a CarePlan of this server.",
                        f"QuestionnaireResponse.basedOn[{index}]",
                    )
                )
    source = qr.source.reference if qr.source and qr.source.reference else ""
    entry_mode = "patient" if source.startswith("Patient") else "staff"
    return Header(authored, timepoint, care_plan, entry_mode), issues
