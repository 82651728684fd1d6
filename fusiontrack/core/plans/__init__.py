"""Patient preparation and recovery plans (issue 4 §5, §6): pure functions over a clinic protocol.

Typical use::

    from fusiontrack.core.plans import preparation_plan, recovery_plan, plan_to_ics
    prep = preparation_plan(date(2025, 3, 6), datetime(2025, 3, 6, 7, 0), ["apixaban"])
    print(prep.medications[0].text)   # render(translate=gettext) in the web layer
"""

from __future__ import annotations

from fusiontrack.core.plans.ics import event_uid, plan_to_ics
from fusiontrack.core.plans.messages import ENGLISH, MESSAGES, EnglishFormatter, Formatter, Text
from fusiontrack.core.plans.preparation import (
    CalendarEvent,
    ChecklistItem,
    FastingInstruction,
    MedicationInstruction,
    PreparationPlan,
    fasting_instructions,
    hold_dates,
    medication_instruction,
    preparation_plan,
)
from fusiontrack.core.plans.protocol import (
    DEFAULT_PROTOCOL,
    DEFAULT_PROTOCOL_PATH,
    ClinicProtocol,
    Evidence,
    default_protocol_data,
    load_protocol,
    merge_overrides,
    protocol_with_overrides,
)
from fusiontrack.core.plans.recovery import (
    WORK_KINDS,
    RecoveryEntry,
    RecoveryPlan,
    RedFlagItem,
    add_duration,
    add_months,
    recovery_plan,
    week_number,
)

__all__ = [
    "DEFAULT_PROTOCOL",
    "DEFAULT_PROTOCOL_PATH",
    "ENGLISH",
    "MESSAGES",
    "WORK_KINDS",
    "CalendarEvent",
    "ChecklistItem",
    "ClinicProtocol",
    "EnglishFormatter",
    "Evidence",
    "FastingInstruction",
    "Formatter",
    "MedicationInstruction",
    "PreparationPlan",
    "RecoveryEntry",
    "RecoveryPlan",
    "RedFlagItem",
    "Text",
    "add_duration",
    "add_months",
    "default_protocol_data",
    "event_uid",
    "fasting_instructions",
    "hold_dates",
    "load_protocol",
    "medication_instruction",
    "merge_overrides",
    "plan_to_ics",
    "preparation_plan",
    "protocol_with_overrides",
    "recovery_plan",
    "week_number",
]
