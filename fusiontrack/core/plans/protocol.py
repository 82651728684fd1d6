"""A clinic's preparation and recovery protocol, as validated data.

Why data: every hold period, fasting interval and recovery milestone is a clinical default that a
clinic must be able to change without a code release, and each one carries its source and how well
that source was verified (shared/notes/verified-facts.md §8, §9, §11). The default protocol lives
in ``fusiontrack/core/data/protocol_default.json``; a site's overrides are merged onto it with
:func:`protocol_with_overrides`. Loading validates everything and names the faulty field.

Evidence status vocabulary (``Evidence.status``):

- ``confirmed``: the value was seen in the primary source (verified-facts "CONFIRMED").
- ``corroborated``: seen in two or more independent secondary sources (verified-facts).
- ``weak``: one source only, sources that disagree, or low-weight sources.
- ``practice_based``: common practice or patient education, not a guideline; surgeons vary.
- ``no_source``: no verified source; the note must say ``SOURCE MISSING``.
- ``site_protocol``: set by the clinic (automatic when a site override changes a value).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from os import PathLike
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fusiontrack.core.errors import ProtocolError
from fusiontrack.core.plans.messages import MESSAGES

EvidenceStatus = Literal[
    "confirmed", "corroborated", "weak", "practice_based", "no_source", "site_protocol"
]
STATUSES_NEEDING_CITATIONS: frozenset[str] = frozenset(
    {"confirmed", "corroborated", "weak", "practice_based"}
)
DrugClass = Literal[
    "antiplatelet",
    "p2y12_inhibitor",
    "vitamin_k_antagonist",
    "doac",
    "nsaid",
    "glp1_ra",
    "sglt2_inhibitor",
    "supplement",
    "other",
]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
# "4w", "3m", "10d": a count and a unit (days, weeks, calendar months).
Duration = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,2}[dwm]$")]
Days = Annotated[int, Field(ge=0, le=90)]
Weeks = Annotated[int, Field(ge=0, le=104)]

_DURATION_RE = re.compile(r"^([1-9][0-9]{0,2})([dwm])$")
_APPROX_DAYS = {"d": 1.0, "w": 7.0, "m": 30.44}


def parse_duration(value: str) -> tuple[int, Literal["d", "w", "m"]]:
    """Split '6w' into (6, 'w'). The pattern is already enforced by the model."""
    match = _DURATION_RE.match(value)
    if match is None:
        raise ProtocolError(f"{value!r} is not a duration like '4w', '3m' or '10d'.")
    units: dict[str, Literal["d", "w", "m"]] = {"d": "d", "w": "w", "m": "m"}
    return int(match.group(1)), units[match.group(2)]


def _approx_days(value: str) -> float:
    n, unit = parse_duration(value)
    return n * _APPROX_DAYS[unit]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Source(_Model):
    """A bibliographic source. ``journal`` for articles, ``publisher`` for web pages and labels."""

    authors: str = Field(min_length=1)
    year: int | None = Field(default=None, ge=1900, le=2100)
    title: str | None = None
    journal: str | None = None
    publisher: str | None = None
    details: str = ""

    @model_validator(mode="after")
    def _journal_or_publisher(self) -> Source:
        if not (self.journal or self.publisher):
            raise ValueError("a source needs a journal or a publisher")
        if self.journal and self.year is None:
            raise ValueError("a journal article needs a year")
        return self

    def short(self) -> str:
        """'Douketis JD et al. 2019, JAMA Intern Med' — for staff-facing source lines."""
        year = f" {self.year}" if self.year else ""
        venue = self.journal or self.publisher
        return f"{self.authors}{year}, {venue}"


class Evidence(_Model):
    status: EvidenceStatus
    citations: tuple[Code, ...] = ()
    note: str = ""

    @model_validator(mode="after")
    def _status_rules(self) -> Evidence:
        if self.status in STATUSES_NEEDING_CITATIONS and not self.citations:
            raise ValueError(f"evidence with status {self.status!r} needs at least one citation")
        if self.status == "no_source" and "SOURCE MISSING" not in self.note:
            raise ValueError("evidence with status 'no_source' needs a note saying SOURCE MISSING")
        return self


SITE_EVIDENCE: dict[str, Any] = {
    "status": "site_protocol",
    "citations": [],
    "note": "Set by the clinic's protocol, replacing the fusiontrack default.",
}


class ChecklistRule(_Model):
    """A preparation task; ``due_days_before`` None means 'as soon as possible'."""

    due_days_before: Days | None
    label: str | None = None
    evidence: Evidence


class CrClBand(_Model):
    """Hold length when creatinine clearance (mL/min) is at least ``crcl_at_least``."""

    crcl_at_least: float = Field(ge=0)
    hold_days: Days


class MedicationRule(_Model):
    """How to handle one drug before surgery.

    ``action``: ``hold`` (stop for ``hold_days`` or by CrCl band), ``discuss`` (no dates: the
    patient is told to ask; ``hold_days`` is kept so a clinic can switch to ``hold``), or
    ``continue``. Day counting: see ``fusiontrack.core.plans.preparation``.
    """

    drug_class: DrugClass
    action: Literal["hold", "discuss", "continue"]
    schedule: Literal["daily", "weekly", "varies"] = "daily"
    hold_days: Days | None = None
    crcl_bands: tuple[CrClBand, ...] | None = None
    liquid_diet_hours: int | None = Field(default=None, ge=1, le=72)
    cautions: tuple[Literal["heart", "inr"], ...] = ()
    label: str | None = None
    evidence: Evidence

    @model_validator(mode="after")
    def _hold_needs_a_length(self) -> MedicationRule:
        if self.hold_days is not None and self.crcl_bands is not None:
            raise ValueError("give either hold_days or crcl_bands, not both")
        if self.action == "hold" and self.hold_days is None and not self.crcl_bands:
            raise ValueError("action 'hold' needs hold_days or crcl_bands")
        if self.crcl_bands is not None:
            limits = [band.crcl_at_least for band in self.crcl_bands]
            if (
                not limits
                or limits != sorted(limits, reverse=True)
                or len(set(limits)) != len(limits)
            ):
                raise ValueError("crcl_bands must be ordered from highest to lowest crcl_at_least")
            if limits[-1] != 0:
                raise ValueError("the last crcl_band must have crcl_at_least 0 to cover everyone")
        return self


class FastingRule(_Model):
    hours_before: float = Field(gt=0, le=24)
    evidence: Evidence


class FastingRules(_Model):
    """Counted back from the arrival time. A rule set to null is left out of the plan."""

    fatty_meal: FastingRule | None = None
    light_meal: FastingRule | None = None
    carbohydrate_drinks: FastingRule | None = None
    clear_liquids: FastingRule | None = None


class Fasting(_Model):
    count_back_from: Literal["arrival"] = "arrival"
    rules: FastingRules


class Restriction(_Model):
    """No bending, lifting above ``lift_limit_lb`` or twisting for ``weeks`` weeks."""

    weeks: Weeks
    review_week: Weeks | None = None
    lift_limit_lb: float = Field(gt=0, le=100)
    evidence: Evidence

    @model_validator(mode="after")
    def _review_inside(self) -> Restriction:
        if self.review_week is not None and self.review_week >= self.weeks:
            raise ValueError("review_week must be earlier than the end of the restriction (weeks)")
        return self


class Walking(_Model):
    """``minutes_by_week``: week number (as a string, JSON keys are strings) → minutes a day."""

    minutes_by_week: dict[Annotated[str, Field(pattern=r"^[1-9][0-9]?$")], int] = Field(
        default_factory=dict
    )
    evidence: Evidence


class PhysicalTherapy(_Model):
    start_week: Weeks
    evidence: Evidence


class Brace(_Model):
    up_to: Duration
    evidence: Evidence


class TimeRange(_Model):
    """A span after surgery; both ends null means 'no default, ask the surgeon'."""

    earliest: Duration | None
    latest: Duration | None
    evidence: Evidence

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if (self.earliest is None) != (self.latest is None):
            raise ValueError("give both earliest and latest, or neither")
        if (
            self.earliest is not None
            and self.latest is not None
            and _approx_days(self.earliest) > _approx_days(self.latest)
        ):
            raise ValueError("earliest must not be later than latest")
        return self


class ReturnToWork(_Model):
    sedentary: TimeRange
    light: TimeRange
    heavy: TimeRange


class RedFlag(_Model):
    urgency: Literal["call_now", "emergency"]
    label: str | None = None
    evidence: Evidence


class Recovery(_Model):
    weekly_until_week: int = Field(ge=1, le=52)
    restriction: Restriction
    walking: Walking
    physical_therapy: PhysicalTherapy
    brace: Brace | None = None
    driving: TimeRange
    return_to_work: ReturnToWork
    nsaids_after_fusion: TimeRange | None = None
    fusion_timeline: TimeRange
    red_flags: dict[Code, RedFlag]


class ClinicProtocol(_Model):
    """The whole protocol: build it with ``load_protocol`` or ``protocol_with_overrides``."""

    schema_version: Literal[1]
    id: Code
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    sources: dict[Code, Source]
    checklist: dict[Code, ChecklistRule]
    medications: dict[Code, MedicationRule]
    fasting: Fasting
    recovery: Recovery

    def cite(self, evidence: Evidence) -> str:
        """Staff-facing one-liner: status, short citations and the note."""
        cited = "; ".join(self.sources[key].short() for key in evidence.citations)
        parts = [evidence.status.replace("_", "-")]
        if cited:
            parts.append(cited)
        if evidence.note:
            parts.append(evidence.note)
        return " — ".join(parts)

    def evidence_entries(self) -> Iterator[tuple[str, Evidence]]:
        """Every (dotted path, evidence) in the protocol: one per clinical default."""
        yield from _walk_evidence(self, "")


def _walk_evidence(node: object, path: str) -> Iterator[tuple[str, Evidence]]:
    if isinstance(node, Evidence):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk_evidence(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_evidence(value, f"{path}.{key}")
    elif isinstance(node, tuple):
        for index, value in enumerate(node):
            yield from _walk_evidence(value, f"{path}[{index}]")


# ---- loading -------------------------------------------------------------------------------

DEFAULT_PROTOCOL_PATH = Path(__file__).resolve().parents[1] / "data" / "protocol_default.json"

ProtocolSource = Mapping[str, Any] | str | PathLike[str]


def _read_source(source: ProtocolSource) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source))
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(
            f"Cannot read the clinic protocol file {path}: {exc.strerror}."
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(
            f"The clinic protocol file {path} is not valid JSON: {exc.msg} at line {exc.lineno},"
            f" column {exc.colno}."
        ) from exc
    if not isinstance(data, dict):
        raise ProtocolError(f"The clinic protocol file {path} must contain a JSON object.")
    return data


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _from_validation_error(exc: ValidationError) -> ProtocolError:
    problems = tuple(
        (_field_path(tuple(error["loc"])), error["msg"].removeprefix("Value error, "))
        for error in exc.errors()
    )
    shown = "; ".join(f"{field}: {msg}" for field, msg in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return ProtocolError(
        f"The clinic protocol is invalid. {shown}{more}. Fix these fields and load it again.",
        field=problems[0][0] if problems else None,
        problems=problems,
    )


def _check_references(protocol: ClinicProtocol) -> None:
    """Cross-field rules pydantic cannot see: citations exist, custom entries have wording."""
    problems: list[tuple[str, str]] = []
    for path, evidence in protocol.evidence_entries():
        for key in evidence.citations:
            if key not in protocol.sources:
                problems.append((f"{path}.citations", f"unknown source {key!r}"))
    labelled: list[tuple[str, Mapping[str, Any]]] = [
        ("checklist", protocol.checklist),
        ("drug", protocol.medications),
        ("redflag", protocol.recovery.red_flags),
    ]
    sections = {"checklist": "checklist", "drug": "medications", "redflag": "recovery.red_flags"}
    for prefix, entries in labelled:
        for code, entry in entries.items():
            if entry.label is None and f"{prefix}.{code}" not in MESSAGES:
                problems.append(
                    (
                        f"{sections[prefix]}.{code}.label",
                        "needed: fusiontrack has no built-in wording for this entry",
                    )
                )
    if problems:
        shown = "; ".join(f"{field}: {msg}" for field, msg in problems[:5])
        raise ProtocolError(
            f"The clinic protocol is invalid. {shown}. Fix these fields and load it again.",
            field=problems[0][0],
            problems=tuple(problems),
        )


def load_protocol(source: ProtocolSource) -> ClinicProtocol:
    """Validate a complete protocol given as a dict or a JSON file path."""
    data = _read_source(source)
    try:
        # Validated as JSON text so strict typing follows JSON rules (arrays become tuples, "5"
        # is not a number), whether the protocol came from a file or from a dict.
        text = json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"The clinic protocol must be plain JSON data: {exc}.") from exc
    try:
        protocol = ClinicProtocol.model_validate_json(text)
    except ValidationError as exc:
        raise _from_validation_error(exc) from None
    _check_references(protocol)
    return protocol


def default_protocol_data() -> dict[str, Any]:
    """A fresh copy of the default protocol as plain JSON data (safe to modify)."""
    text = DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# Keys whose change does not touch a clinical value, so the default's evidence still applies.
_WORDING_KEYS = frozenset({"label"})


def merge_overrides(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge a site's overrides onto protocol data.

    Rules: dicts merge key by key; any other value replaces; ``null`` removes the key (e.g.
    ``{"medications": {"aspirin": null}}``). When an override changes a clinical value of an
    entry that carries evidence and does not bring its own ``evidence``, the entry's evidence
    becomes ``site_protocol``: the default's citation no longer describes the clinic's number.
    New entries without evidence get ``site_protocol`` too.
    """
    merged = copy.deepcopy(dict(base))
    entry_map = any(isinstance(v, dict) and "evidence" in v for v in merged.values())
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            current = merged[key]
            changed = merge_overrides(current, value)
            if (
                "evidence" in current
                and "evidence" not in value
                and any(k not in _WORDING_KEYS and current.get(k) != changed.get(k) for k in value)
            ):
                changed["evidence"] = copy.deepcopy(SITE_EVIDENCE)
            merged[key] = changed
        elif isinstance(value, Mapping) and entry_map and key not in merged:
            new_entry = copy.deepcopy(dict(value))
            new_entry.setdefault("evidence", copy.deepcopy(SITE_EVIDENCE))
            merged[key] = new_entry
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def protocol_with_overrides(
    overrides: ProtocolSource, base: ProtocolSource | None = None
) -> ClinicProtocol:
    """The default protocol (or ``base``) with a site's overrides merged on, validated."""
    base_data = default_protocol_data() if base is None else _read_source(base)
    return load_protocol(merge_overrides(base_data, _read_source(overrides)))


DEFAULT_PROTOCOL: ClinicProtocol = load_protocol(default_protocol_data())
