"""The patient's recovery plan after lumbar fusion: week by week, then milestones, and red flags.

Week numbering: the day of surgery is day 0 and starts week 1; week k covers days 7(k−1) to
7k−1. Something that happens "N weeks after surgery" (day 7N) therefore appears at the start of
week N+1, and a restriction "for N weeks" covers weeks 1 to N. Month durations are calendar
months (surgery on 31 August + 6 months = 28 or 29 February). Events after the weekly part of
the plan (``recovery.weekly_until_week``) are listed as dated milestones.

Every timing here is practice-based or unsourced (shared/notes/verified-facts.md §11: surgeons
vary, Huntoon 2022), which is why the protocol carries them as clinic-editable defaults.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from fusiontrack.core.errors import PlanError
from fusiontrack.core.plans.messages import Text
from fusiontrack.core.plans.preparation import CalendarEvent
from fusiontrack.core.plans.protocol import (
    DEFAULT_PROTOCOL,
    ClinicProtocol,
    Evidence,
    TimeRange,
    parse_duration,
)

WorkKind = Literal["sedentary", "light", "heavy", "none"]
WORK_KINDS: tuple[WorkKind, ...] = ("sedentary", "light", "heavy", "none")


def add_months(start: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_duration(start: date, duration: str) -> date:
    n, unit = parse_duration(duration)
    if unit == "m":
        return add_months(start, n)
    return start + timedelta(days=n * (7 if unit == "w" else 1))


def range_text(earliest: str, latest: str) -> Text:
    """'3 to 6 months' when both ends share a unit, else '2 weeks to 3 months'."""
    (a, unit_a), (z, unit_z) = parse_duration(earliest), parse_duration(latest)
    if unit_a == unit_z and z > 1:
        name = {"d": "days", "w": "weeks", "m": "months"}[unit_a]
        return Text(f"range.{name}", {"earliest": a, "latest": z})
    return Text(
        "range.mixed", {"earliest": duration_text(earliest), "latest": duration_text(latest)}
    )


def duration_text(duration: str) -> Text:
    n, unit = parse_duration(duration)
    name = {"d": "day", "w": "week", "m": "month"}[unit]
    return Text(f"duration.{name}") if n == 1 else Text(f"duration.{name}s", {"n": n})


@dataclass(frozen=True)
class RecoveryEntry:
    """One week (``kind='week'``) or one later date (``kind='milestone'``); ``end`` inclusive."""

    kind: Literal["week", "milestone"]
    week: int | None
    start: date
    end: date
    title: Text
    lines: tuple[Text, ...]


@dataclass(frozen=True)
class RedFlagItem:
    code: str
    urgency: Literal["call_now", "emergency"]
    symptom: Text
    text: Text
    evidence: Evidence


@dataclass(frozen=True)
class RecoveryPlan:
    surgery_date: date
    work_kind: WorkKind
    protocol_id: str
    protocol_version: str
    weeks: tuple[RecoveryEntry, ...]
    milestones: tuple[RecoveryEntry, ...]
    red_flags: tuple[RedFlagItem, ...]
    events: tuple[CalendarEvent, ...]

    @property
    def entries(self) -> tuple[RecoveryEntry, ...]:
        return self.weeks + self.milestones

    def calendar_events(self) -> tuple[CalendarEvent, ...]:
        return self.events

    def week_of(self, day: date) -> int:
        """The plan's week number for a date on or after surgery."""
        return week_number(self.surgery_date, day)


def week_number(surgery_date: date, day: date) -> int:
    if day < surgery_date:
        raise PlanError(f"{day.isoformat()} is before the surgery date {surgery_date.isoformat()}.")
    return (day - surgery_date).days // 7 + 1


class _Builder:
    """Collects lines by week (inside the weekly part) or by date (milestones)."""

    def __init__(self, surgery_date: date, weekly_until: int) -> None:
        self.surgery_date = surgery_date
        self.weekly_until = weekly_until
        self.by_week: dict[int, list[Text]] = defaultdict(list)
        self.by_date: dict[date, list[Text]] = defaultdict(list)
        self.after_label: dict[date, Text] = {}
        self.events: list[CalendarEvent] = []

    def every_week(self, line: Text, weeks: range) -> None:
        for week in weeks:
            if 1 <= week <= self.weekly_until:
                self.by_week[week].append(line)

    def at(self, day: date, after: str, line: Text) -> None:
        week = week_number(self.surgery_date, day)
        if week <= self.weekly_until:
            self.by_week[week].append(line)
        else:
            self.by_date[day].append(line)
            self.after_label.setdefault(day, duration_text(after))

    def event(self, key: str, day: date, summary: Text, *description: Text) -> None:
        self.events.append(CalendarEvent(f"recovery-{key}", day, day, summary, description))


def _work_label(kind: WorkKind) -> Text:
    return Text(f"work.{kind}")


def recovery_plan(
    surgery_date: date,
    work_kind: str,
    protocol: ClinicProtocol = DEFAULT_PROTOCOL,
) -> RecoveryPlan:
    """Week-by-week recovery plan from the surgery date and the patient's kind of work.

    ``work_kind``: ``sedentary`` (desk), ``light`` (light physical), ``heavy`` (heavy physical)
    or ``none`` (not working).
    """
    if isinstance(surgery_date, datetime) or not isinstance(surgery_date, date):
        raise PlanError("surgery_date must be a date (not a datetime).")
    if work_kind not in WORK_KINDS:
        raise PlanError(f"Unknown kind of work {work_kind!r}; use one of: {', '.join(WORK_KINDS)}.")
    kind: WorkKind = work_kind
    rec = protocol.recovery
    b = _Builder(surgery_date, rec.weekly_until_week)

    # Bending, lifting, twisting.
    r = rec.restriction
    lift_kg = round(r.lift_limit_lb * 0.45359237, 1)
    restriction = Text("recovery.restriction", {"lift_lb": r.lift_limit_lb, "lift_kg": lift_kg})
    b.every_week(restriction, range(1, r.weeks + 1))
    if r.weeks > 0:
        end_day = surgery_date + timedelta(weeks=r.weeks)
        b.at(end_day, f"{r.weeks}w", Text("recovery.restriction_end", {"weeks": r.weeks}))
        b.event("restriction-end", end_day, Text("cal.restriction_end"))
    if r.review_week:
        b.at(
            surgery_date + timedelta(weeks=r.review_week),
            f"{r.review_week}w",
            Text("recovery.restriction_review"),
        )

    # Walking: generic wording every week; clinic goals where set.
    for week in range(1, rec.weekly_until_week + 1):
        b.by_week[week].append(Text("recovery.walking"))
        minutes = rec.walking.minutes_by_week.get(str(week))
        if minutes is not None:
            b.by_week[week].append(Text("recovery.walking_goal", {"minutes": minutes}))

    if rec.brace is not None:
        b.every_week(
            Text("recovery.brace", {"duration": duration_text(rec.brace.up_to)}), range(1, 2)
        )

    # Physical therapy.
    pt = rec.physical_therapy
    pt_day = surgery_date + timedelta(weeks=pt.start_week)
    b.at(pt_day, f"{max(pt.start_week, 1)}w", Text("recovery.pt_start", {"weeks": pt.start_week}))
    b.event("pt-start", pt_day, Text("cal.pt_start"))

    # Driving.
    _driving(b, rec.driving)

    # Work.
    if kind != "none":
        _work(b, kind, getattr(rec.return_to_work, kind))

    # Medicines after fusion, and the fusion timeline.
    n = rec.nsaids_after_fusion
    if n is not None and n.earliest is not None and n.latest is not None:
        b.every_week(
            Text("recovery.nsaids", {"span": range_text(n.earliest, n.latest)}),
            range(1, 2),
        )
    ft = rec.fusion_timeline
    if ft.earliest is not None and ft.latest is not None:
        b.every_week(
            Text("recovery.fusion_timeline", {"span": range_text(ft.earliest, ft.latest)}),
            range(1, 2),
        )
        for end in (ft.earliest, ft.latest):
            day = add_duration(surgery_date, end)
            b.at(day, end, Text("recovery.fusion_progress"))
            b.event(f"fusion-{end}", day, Text("cal.fusion", {"after": duration_text(end)}))

    weeks = tuple(
        RecoveryEntry(
            kind="week",
            week=week,
            start=surgery_date + timedelta(weeks=week - 1),
            end=surgery_date + timedelta(weeks=week, days=-1),
            title=Text(
                "recovery.week_title",
                {
                    "week": week,
                    "start": surgery_date + timedelta(weeks=week - 1),
                    "end": surgery_date + timedelta(weeks=week, days=-1),
                },
            ),
            lines=tuple(b.by_week[week]),
        )
        for week in range(1, rec.weekly_until_week + 1)
    )
    milestones = tuple(
        RecoveryEntry(
            kind="milestone",
            week=None,
            start=day,
            end=day,
            title=Text("recovery.milestone_title", {"after": b.after_label[day], "date": day}),
            lines=tuple(b.by_date[day]),
        )
        for day in sorted(b.by_date)
    )
    red_flags = tuple(
        sorted(
            (
                RedFlagItem(
                    code=code,
                    urgency=flag.urgency,
                    symptom=(symptom := _symptom(code, flag.label)),
                    text=Text(f"redflag.{flag.urgency}", {"symptom": symptom}),
                    evidence=flag.evidence,
                )
                for code, flag in rec.red_flags.items()
            ),
            key=lambda f: f.urgency != "emergency",
        )
    )
    return RecoveryPlan(
        surgery_date=surgery_date,
        work_kind=kind,
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        weeks=weeks,
        milestones=milestones,
        red_flags=red_flags,
        events=tuple(sorted(b.events, key=lambda e: (e.start, e.key))),
    )


def _symptom(code: str, label: str | None) -> Text:
    return Text.literal(label) if label else Text(f"redflag.{code}")


def _driving(b: _Builder, driving: TimeRange) -> None:
    if driving.earliest is None or driving.latest is None:
        return
    first = add_duration(b.surgery_date, driving.earliest)
    last_week_without = week_number(b.surgery_date, first - timedelta(days=1))
    b.every_week(Text("recovery.no_driving"), range(1, last_week_without + 1))
    line = Text(
        "recovery.driving",
        {"span": range_text(driving.earliest, driving.latest), "date": first},
    )
    b.at(first, driving.earliest, line)
    b.event("driving", first, Text("cal.driving"), line)


def _work(b: _Builder, kind: WorkKind, span: TimeRange) -> None:
    label = _work_label(kind)
    if span.earliest is None or span.latest is None:
        b.every_week(Text("recovery.work_ask", {"work": label}), range(1, 2))
        return
    first = add_duration(b.surgery_date, span.earliest)
    last = add_duration(b.surgery_date, span.latest)
    line = Text(
        "recovery.work",
        {
            "work": label,
            "earliest_date": first,
            "latest_date": last,
            "span": range_text(span.earliest, span.latest),
        },
    )
    b.at(first, span.earliest, line)
    b.event(f"work-{kind}", first, Text("cal.work", {"work": label}), line)
