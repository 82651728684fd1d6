"""Preparation and recovery plans as an RFC 5545 calendar file (.ics), written with ``icalendar``.

Why all-day events: hold dates and milestones are days, not moments, and all-day events need no
time zone (a patient's phone shows them on the right day wherever it is). Times that matter (the
arrival, fasting) are in the text. UIDs are stable: the same plan for the same episode yields
the same UIDs, so re-importing an updated plan updates events instead of duplicating them.
Pass a per-episode ``uid_namespace`` (e.g. the episode's id) so that two patients operated on the
same day do not share UIDs. DTSTAMP is passed in, never read from the clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import icalendar

from fusiontrack.core.errors import PlanError
from fusiontrack.core.plans.messages import ENGLISH, Formatter, Text
from fusiontrack.core.plans.preparation import CalendarEvent, PreparationPlan
from fusiontrack.core.plans.recovery import RecoveryPlan

PRODID = "-//fusiontrack//patient plans//EN"

Plan = PreparationPlan | RecoveryPlan


def _identity(message: str) -> str:
    return message


def event_uid(surgery_date: date, key: str, uid_namespace: str, uid_domain: str) -> str:
    raw = f"{uid_namespace}|{surgery_date.isoformat()}|{key}"
    return f"{hashlib.sha256(raw.encode()).hexdigest()[:32]}@{uid_domain}"


def plan_to_ics(
    plans: Plan | Sequence[Plan],
    *,
    dtstamp: datetime,
    patient_display_name: str | None = None,
    uid_domain: str = "fusiontrack.local",
    uid_namespace: str = "",
    extra_events: Iterable[CalendarEvent] = (),
    translate: Callable[[str], str] = _identity,
    formatter: Formatter = ENGLISH,
) -> str:
    """One VCALENDAR with an all-day VEVENT per hold span, last dose, due date and milestone.

    ``extra_events`` adds appointments the plans do not know (e.g. a booked follow-up visit).
    ``translate`` is the web layer's gettext; the default leaves the English text.
    """
    if dtstamp.tzinfo is None or dtstamp.utcoffset() is None:
        raise PlanError("dtstamp must be a time-zone-aware datetime (it is written in UTC).")
    plan_list: list[Plan] = (
        [plans] if isinstance(plans, PreparationPlan | RecoveryPlan) else list(plans)
    )
    if not plan_list:
        raise PlanError("plan_to_ics needs at least one plan.")
    surgery_dates = {plan.surgery_date for plan in plan_list}
    if len(surgery_dates) != 1:
        raise PlanError("All plans in one calendar must be for the same surgery date.")
    surgery_date = surgery_dates.pop()

    def render(text: Text) -> str:
        return text.render(translate, formatter)

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = (
        Text("cal.calendar_name_for", {"name": patient_display_name})
        if patient_display_name
        else Text("cal.calendar_name")
    )
    cal.add("x-wr-calname", icalendar.vText(render(name)))  # vText: escaped like SUMMARY
    stamp = dtstamp.astimezone(UTC)
    seen: set[str] = set()
    events = [e for plan in plan_list for e in plan.calendar_events()] + list(extra_events)
    for item in events:
        if item.key in seen:
            raise PlanError(f"Two calendar events share the key {item.key!r}.")
        seen.add(item.key)
        if item.end < item.start:
            raise PlanError(f"Calendar event {item.key!r} ends before it starts.")
        event = icalendar.Event()
        event.add("uid", event_uid(surgery_date, item.key, uid_namespace, uid_domain))
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end + timedelta(days=1))  # DTEND of an all-day event is exclusive
        event.add("summary", render(item.summary))
        if item.description:
            event.add("description", "\n".join(render(line) for line in item.description))
        event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
        cal.add_component(event)
    ics: str = cal.to_ical().decode("utf-8")
    return ics
