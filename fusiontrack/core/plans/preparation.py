"""The patient's preparation plan: checklist, medication holds as dates, fasting as clock times.

Day counting (one convention for every drug, documented because sources word it differently):
the day of surgery is day 0, the day before is day −1. A hold of N days ("stop N days before",
"omit N days before") means N whole days without the drug before the day of surgery, and none on
the day of surgery either: no dose on days −N … 0, last dose on day −(N+1). This is the PAUSE
reading (Douketis 2019: "omit 2 days before" = no dose on day −2, −1 or 0, last dose on day −3)
and the ACCP one for warfarin (5 days without warfarin before surgery, last dose day −6). A hold
of 0 days means: skip the dose on the day of surgery only (ASA 2023 daily GLP-1 advice). For
weekly or as-needed drugs the last dose is phrased "no later than" that day.

Fasting times are counted back from the arrival time, not from the start of anaesthesia, which
is later: the patient fasts a little longer than the ASA minimum, never shorter. Time-zone-aware
arrival times are counted back in real elapsed hours (correct across a daylight-saving change);
naive ones are treated as local wall-clock time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from fusiontrack.core.errors import PlanError
from fusiontrack.core.plans.messages import MESSAGES, Text
from fusiontrack.core.plans.protocol import (
    DEFAULT_PROTOCOL,
    ChecklistRule,
    ClinicProtocol,
    Evidence,
    FastingRule,
    MedicationRule,
)

# Above this, the hold is described as a range "from … up to the day of surgery", not a list.
LISTED_HOLD_MAX_DAYS = 3


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day calendar entry; ``end`` is inclusive (the ICS writer adds the exclusive day)."""

    key: str
    start: date
    end: date
    summary: Text
    description: tuple[Text, ...] = ()


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    title: Text
    due: date | None
    overdue: bool
    text: Text
    evidence: Evidence


@dataclass(frozen=True)
class MedicationInstruction:
    """What to do with one medication. ``skip_dates`` include the day of surgery."""

    code: str
    drug: Text
    action: Literal["hold", "discuss", "continue", "unknown"]
    hold_days: int | None
    last_dose: date | None
    skip_dates: tuple[date, ...]
    late: bool
    text: Text
    extra: tuple[Text, ...]
    evidence: Evidence | None

    @property
    def first_skip(self) -> date | None:
        return self.skip_dates[0] if self.skip_dates else None


@dataclass(frozen=True)
class FastingInstruction:
    code: str
    hours_before: float
    until: datetime
    text: Text
    evidence: Evidence


@dataclass(frozen=True)
class PreparationPlan:
    surgery_date: date
    arrival_time: datetime
    protocol_id: str
    protocol_version: str
    checklist: tuple[ChecklistItem, ...]
    medications: tuple[MedicationInstruction, ...]
    fasting_intro: Text
    fasting: tuple[FastingInstruction, ...]
    review_notes: tuple[str, ...]
    """Staff-facing notes (English, not for patients): gaps the care team must fill."""

    def calendar_events(self) -> tuple[CalendarEvent, ...]:
        events: list[CalendarEvent] = []
        for item in self.checklist:
            if item.due is not None:
                events.append(
                    CalendarEvent(
                        f"checklist-{item.code}",
                        item.due,
                        item.due,
                        Text("cal.checklist", {"item": item.title}),
                        (item.text,),
                    )
                )
        for med in self.medications:
            if med.action != "hold" or med.last_dose is None or med.late:
                continue
            events.append(
                CalendarEvent(
                    f"last-dose-{med.code}",
                    med.last_dose,
                    med.last_dose,
                    Text("cal.last_dose", {"drug": med.drug}),
                    (med.text, *med.extra),
                )
            )
            events.append(
                CalendarEvent(
                    f"no-dose-{med.code}",
                    med.skip_dates[0],
                    med.skip_dates[-1],
                    Text("cal.no_dose", {"drug": med.drug}),
                    (med.text, *med.extra),
                )
            )
        events.append(
            CalendarEvent(
                "surgery",
                self.surgery_date,
                self.surgery_date,
                Text("cal.surgery", {"arrival": self.arrival_time.time()}),
                (self.fasting_intro, *(f.text for f in self.fasting)),
            )
        )
        return tuple(events)


# ---- medication holds ----------------------------------------------------------------------


def hold_dates(surgery_date: date, hold_days: int) -> tuple[date, tuple[date, ...]]:
    """(last dose, days without a dose) for a hold of ``hold_days``; see the module docstring."""
    if hold_days < 0:
        raise PlanError(f"A hold cannot be negative ({hold_days} days).")
    last_dose = surgery_date - timedelta(days=hold_days + 1)
    skipped = tuple(surgery_date - timedelta(days=k) for k in range(hold_days, -1, -1))
    return last_dose, skipped


def _drug_name(code: str, rule: MedicationRule | None) -> Text:
    if rule is not None and rule.label:
        return Text.literal(rule.label)
    if f"drug.{code}" in MESSAGES:
        return Text(f"drug.{code}")
    return Text.literal(code.replace("_", " "))


def _hold_length(
    code: str, rule: MedicationRule, crcl_ml_min: float | None
) -> tuple[int | None, str | None]:
    """Hold days, or None with a staff note when the length depends on a missing CrCl."""
    if rule.crcl_bands is None:
        return rule.hold_days, None
    if crcl_ml_min is None:
        return None, (
            f"{code}: hold length depends on creatinine clearance, which was not given; the patient"
            " is told to ask. Enter CrCl to compute dates."
        )
    for band in rule.crcl_bands:
        if crcl_ml_min >= band.crcl_at_least:
            return band.hold_days, None
    raise AssertionError("validated bands end at 0")  # pragma: no cover


def _hold_instruction(
    code: str,
    drug: Text,
    rule: MedicationRule,
    hold_days: int,
    surgery_date: date,
    as_of: date | None,
) -> MedicationInstruction:
    last_dose, skipped = hold_dates(surgery_date, hold_days)
    when_key = "when.on" if rule.schedule == "daily" else "when.no_later_than"
    when = Text(when_key, {"date": last_dose})
    late = as_of is not None and as_of > last_dose
    if late:
        text = Text("hold.late", {"drug": drug, "last_dose": when})
    elif hold_days == 0:
        text = Text(
            "hold.day_of_surgery", {"drug": drug, "surgery_date": surgery_date, "last_dose": when}
        )
    elif hold_days <= LISTED_HOLD_MAX_DAYS:
        text = Text(
            "hold.listed",
            {
                "drug": drug,
                "last_dose": when,
                "skip_dates": skipped[:-1],
                "surgery_date": surgery_date,
            },
        )
    else:
        text = Text(
            "hold.range",
            {
                "drug": drug,
                "last_dose": when,
                "first_skip": skipped[0],
                "surgery_date": surgery_date,
            },
        )
    extra = [Text(f"caution.{c}", {"drug": drug}) for c in rule.cautions]
    extra.append(Text("hold.restart", {"drug": drug}))
    return MedicationInstruction(
        code=code,
        drug=drug,
        action="hold",
        hold_days=hold_days,
        last_dose=last_dose,
        skip_dates=skipped,
        late=late,
        text=text,
        extra=tuple(extra),
        evidence=rule.evidence,
    )


def _talk_instruction(
    code: str,
    drug: Text,
    rule: MedicationRule | None,
    text: Text,
    extra: Sequence[Text] = (),
    action: Literal["discuss", "continue", "unknown"] = "discuss",
) -> MedicationInstruction:
    """An instruction without dates: ask the care team (or, for ``continue``, keep taking)."""
    return MedicationInstruction(
        code=code,
        drug=drug,
        action=action,
        hold_days=None,
        last_dose=None,
        skip_dates=(),
        late=False,
        text=text,
        extra=tuple(extra),
        evidence=None if rule is None else rule.evidence,
    )


def medication_instruction(
    code: str,
    surgery_date: date,
    arrival_time: datetime,
    protocol: ClinicProtocol = DEFAULT_PROTOCOL,
    *,
    crcl_ml_min: float | None = None,
    as_of: date | None = None,
) -> tuple[MedicationInstruction, str | None]:
    """One medication's instruction and an optional staff note."""
    rule = protocol.medications.get(code)
    drug = _drug_name(code, rule)
    if rule is None:
        note = f"{code}: not in the clinic protocol; the patient is told to ask the care team."
        text = Text("unknown_medication", {"drug": drug})
        return _talk_instruction(code, drug, None, text, action="unknown"), note
    if rule.action == "continue":
        text = Text("continue", {"drug": drug})
        return _talk_instruction(code, drug, rule, text, action="continue"), None
    if rule.action == "discuss":
        if rule.drug_class == "glp1_ra":
            extra: list[Text] = []
            if rule.liquid_diet_hours is not None:
                start = _count_back(arrival_time, rule.liquid_diet_hours)
                extra.append(
                    Text("discuss.liquid_diet", {"start": start, "hours": rule.liquid_diet_hours})
                )
            text = Text("discuss.glp1", {"drug": drug})
            note = f"{code}: GLP-1 RA; decide with the patient whether to continue (Kindel 2024)."
            return _talk_instruction(code, drug, rule, text, extra), note
        note = f"{code}: protocol says discuss; no default hold."
        return _talk_instruction(code, drug, rule, Text("discuss.generic", {"drug": drug})), note
    hold_days, crcl_note = _hold_length(code, rule, crcl_ml_min)
    if hold_days is None:
        text = Text("discuss.crcl_missing", {"drug": drug})
        return _talk_instruction(code, drug, rule, text), crcl_note
    return _hold_instruction(code, drug, rule, hold_days, surgery_date, as_of), None


def _normalise_codes(medications: Sequence[str]) -> list[str]:
    if isinstance(medications, str):
        raise PlanError("medications must be a list of medication codes, not one string.")
    codes: list[str] = []
    for raw in medications:
        if not isinstance(raw, str) or not raw.strip():
            raise PlanError(f"Medication code {raw!r} is empty or not text.")
        code = "_".join(raw.strip().lower().replace("-", " ").split())
        if code not in codes:
            codes.append(code)
    return codes


# ---- fasting -------------------------------------------------------------------------------


def _count_back(arrival_time: datetime, hours: float) -> datetime:
    """Arrival minus ``hours`` of real time (UTC arithmetic for aware datetimes)."""
    delta = timedelta(hours=hours)
    if arrival_time.tzinfo is None:
        return arrival_time - delta
    tz = arrival_time.tzinfo
    return (arrival_time.astimezone(UTC) - delta).astimezone(tz)


FASTING_ORDER = ("fatty_meal", "light_meal", "carbohydrate_drinks", "clear_liquids")


def fasting_instructions(
    arrival_time: datetime, protocol: ClinicProtocol = DEFAULT_PROTOCOL
) -> tuple[FastingInstruction, ...]:
    rules = protocol.fasting.rules
    out: list[FastingInstruction] = []
    for code in FASTING_ORDER:
        rule: FastingRule | None = getattr(rules, code)
        if rule is None:
            continue
        until = _count_back(arrival_time, rule.hours_before)
        text = Text(f"fasting.{code}", {"time": until, "hours": rule.hours_before})
        out.append(FastingInstruction(code, rule.hours_before, until, text, rule.evidence))
    return tuple(sorted(out, key=lambda f: f.until))


# ---- checklist -----------------------------------------------------------------------------


def _checklist_item(
    code: str, rule: ChecklistRule, surgery_date: date, as_of: date | None
) -> ChecklistItem:
    title = Text.literal(rule.label) if rule.label else Text(f"checklist.{code}")
    if rule.due_days_before is None:
        return ChecklistItem(
            code, title, None, False, Text("checklist.asap", {"item": title}), rule.evidence
        )
    due = surgery_date - timedelta(days=rule.due_days_before)
    overdue = as_of is not None and as_of > due
    key = "checklist.overdue" if overdue else "checklist.due"
    return ChecklistItem(
        code, title, due, overdue, Text(key, {"item": title, "due": due}), rule.evidence
    )


# ---- the plan ------------------------------------------------------------------------------


def preparation_plan(
    surgery_date: date,
    arrival_time: datetime,
    medications: Sequence[str],
    protocol: ClinicProtocol = DEFAULT_PROTOCOL,
    *,
    crcl_ml_min: float | None = None,
    as_of: date | None = None,
) -> PreparationPlan:
    """Build the plan. ``as_of`` (optional, never defaulted to today) marks passed dates as late.

    ``medications`` are protocol codes (``"apixaban"``); unknown codes become "ask your care
    team about X". ``crcl_ml_min`` selects the hold for drugs with CrCl bands (dabigatran).
    """
    if not isinstance(arrival_time, datetime) or isinstance(surgery_date, datetime):
        raise PlanError("surgery_date must be a date and arrival_time a datetime.")
    if arrival_time.date() not in (surgery_date, surgery_date - timedelta(days=1)):
        raise PlanError(
            f"The arrival time {arrival_time:%Y-%m-%d %H:%M} is not on the surgery date"
            f" {surgery_date.isoformat()} or the evening before. Check both dates."
        )
    if crcl_ml_min is not None and not 0 <= crcl_ml_min <= 300:
        raise PlanError(f"Creatinine clearance {crcl_ml_min} mL/min is outside 0–300.")

    checklist = tuple(
        sorted(
            (
                _checklist_item(code, rule, surgery_date, as_of)
                for code, rule in protocol.checklist.items()
            ),
            key=lambda item: (item.due is not None, item.due or surgery_date, item.code),
        )
    )
    notes: list[str] = []
    instructions: list[MedicationInstruction] = []
    for code in _normalise_codes(medications):
        instruction, note = medication_instruction(
            code, surgery_date, arrival_time, protocol, crcl_ml_min=crcl_ml_min, as_of=as_of
        )
        instructions.append(instruction)
        if note:
            notes.append(note)
        if instruction.late:
            notes.append(f"{code}: the last-dose day has passed; contact the patient.")
    # Things to ask about first (they need a conversation early), then holds by last-dose date,
    # then medicines to continue.
    order = {"unknown": 0, "discuss": 0, "hold": 1, "continue": 2}
    instructions.sort(key=lambda m: (order[m.action], m.last_dose or surgery_date, m.code))
    for item in checklist:
        if item.overdue:
            notes.append(f"checklist {item.code}: overdue (was due {item.due}).")
    return PreparationPlan(
        surgery_date=surgery_date,
        arrival_time=arrival_time,
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        checklist=checklist,
        medications=tuple(instructions),
        fasting_intro=Text("fasting.intro", {"arrival": arrival_time}),
        fasting=fasting_instructions(arrival_time, protocol),
        review_notes=tuple(notes),
    )
