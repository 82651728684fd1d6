"""One pydantic schema per payload (STYLE.md practice 6): strict input, explicit output.

Inputs forbid unknown fields, so a typo is an error naming the field instead of being ignored.
Field names are the registry's (``fusiontrack/registry/models.py``) and codes its vocabularies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from fusiontrack.core import vocab


def _literal(choices: vocab.Choices) -> Any:
    return Literal[tuple(vocab.codes(choices))]  # type: ignore[valid-type]


Sex = _literal(vocab.SEX)
Stage = _literal(vocab.EPISODE_STAGES)
Levels = _literal(vocab.LEVELS)
Approach = _literal(vocab.APPROACHES)
Technique = _literal(vocab.SURGICAL_TECHNIQUE)
Timepoint = _literal(vocab.TIMEPOINTS)
EntryMode = _literal(vocab.ENTRY_MODES)
ComplicationCategory = _literal(vocab.COMPLICATION_CATEGORIES)
ClavienDindo = _literal(vocab.CLAVIEN_DINDO_GRADES)
Reporter = _literal(vocab.REPORTERS)


class In(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorField(Schema):
    field: str
    message: str


class ErrorDetail(Schema):
    status: int
    code: str
    message: str
    fields: list[ErrorField] | None = None


class ErrorOut(Schema):
    error: ErrorDetail


# -- patients -----------------------------------------------------------------------------------


class PatientIn(In):
    site: str = Field(description="Site code, e.g. north.", max_length=40)
    mrn: str = Field(min_length=1, max_length=40)
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: dt.date
    sex: Sex
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    preferred_language: str = Field(default="en", max_length=10)


class PatientOut(Schema):
    id: int
    site: str
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str
    email: str
    phone: str
    preferred_language: str
    consent_registry: bool
    consent_research: bool
    consent_withdrawn_date: dt.date | None
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.site.code


# -- episodes -----------------------------------------------------------------------------------


class EpisodeIn(In):
    title: str = Field(default="", max_length=200)
    opened_on: dt.date
    stage: Stage = "evaluation"
    planned_surgery_date: dt.date | None = None


class EpisodeOut(Schema):
    id: int
    patient_id: int
    title: str
    stage: str
    stage_entered_on: dt.date
    opened_on: dt.date
    surgery_date: dt.date | None
    planned_surgery_date: dt.date | None
    updated_at: dt.datetime
    version: int


# -- operations and complications --------------------------------------------------------------


class OperationIn(In):
    operation_date: dt.date
    levels: Levels
    approach: Approach
    technique: Technique = "open"
    decompression: bool = False
    interbody_cage: bool = False
    duration_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    blood_loss_ml: int | None = Field(default=None, ge=0, le=50_000)
    notes: str = Field(default="", max_length=5000)


class OperationOut(Schema):
    id: int
    episode_id: int
    operation_date: dt.date
    levels: str
    approach: str
    technique: str
    decompression: bool
    interbody_cage: bool
    duration_minutes: int | None
    blood_loss_ml: int | None
    notes: str
    version: int


class ComplicationIn(In):
    occurred_on: dt.date
    category: ComplicationCategory
    clavien_dindo: ClavienDindo
    reported_by: Reporter = "clinician"
    intraoperative: bool = False
    resolved: bool = False
    resolved_on: dt.date | None = None
    description: str = Field(default="", max_length=5000)


class ComplicationOut(Schema):
    id: int
    episode_id: int
    occurred_on: dt.date
    category: str
    clavien_dindo: str
    reported_by: str
    intraoperative: bool
    resolved: bool
    resolved_on: dt.date | None
    description: str
    version: int


# -- questionnaire responses and scores -------------------------------------------------------


class ResponseIn(In):
    instrument_id: str = Field(max_length=40, description="An instrument id, e.g. odi.")
    timepoint: Timepoint
    responded_on: dt.date
    entry_mode: EntryMode = "staff"
    answers: dict[str, int | float | str | None] = Field(
        description='Item id → answer, e.g. {"odi_1": 2}. Blank or null means unanswered.'
    )


class ResponseOut(Schema):
    id: int
    patient_id: int
    episode_id: int
    instrument_id: str
    instrument_version: str
    timepoint: str
    responded_on: dt.date
    answers: dict[str, Any]
    scores: dict[str, Any]
    complete: bool
    incomplete_reason: str
    entry_mode: str


class ScoreOut(Schema):
    response_id: int
    instrument_id: str
    measure: str
    timepoint: str
    value: float
    responded_on: dt.date


class FollowUpOut(Schema):
    timepoint: str
    due_on: dt.date
    window_opens_on: dt.date
    window_closes_on: dt.date
    status: str = Field(description="upcoming, open, overdue, missed or completed on as_of.")
    completed_on: dt.date | None


class ScheduleOut(Schema):
    episode_id: int
    as_of: dt.date
    surgery_date: dt.date | None
    follow_ups: list[FollowUpOut]


# -- cohort aggregates ------------------------------------------------------------------------


class CohortCell(Schema):
    measure: str
    timepoint: str
    n: int
    mean: float | None
    median: float | None
    p25: float | None
    p75: float | None
    suppressed: bool = Field(description="True when n < min_cell: values withheld.")


class CohortOut(Schema):
    site: str
    min_cell: int
    cells: list[CohortCell]


# -- tokens -----------------------------------------------------------------------------------


class TokenIn(In):
    site: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=100)
    scope: Literal["read", "write"] = "read"
    expires_at: dt.datetime | None = None


class TokenOut(Schema):
    id: int
    site: str
    name: str
    scope: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.site.code


class IssuedTokenOut(TokenOut):
    token: str = Field(description="The secret: shown once, store it now.")


class Page(Schema):
    count: int
    limit: int
    offset: int


class PatientPage(Page):
    items: list[PatientOut]
