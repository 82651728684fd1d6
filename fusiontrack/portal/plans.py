"""Preparation and recovery plans for one episode: the site's protocol, rendered for a patient.

The clinical content (holds, fasting, weeks, red flags, their citations) is the core's
(``fusiontrack.core.plans``); this module picks the site's protocol (defaults plus the site's
JSON overrides), reads the episode's plan details, renders every ``Text`` through gettext, and
writes the three formats: HTML (a printable page), PDF (WeasyPrint, imported lazily) and .ics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext

from fusiontrack.core.errors import FusiontrackError
from fusiontrack.core.plans import (
    DEFAULT_PROTOCOL,
    CalendarEvent,
    ClinicProtocol,
    PreparationPlan,
    RecoveryPlan,
    Text,
    plan_to_ics,
    preparation_plan,
    protocol_with_overrides,
    recovery_plan,
)
from fusiontrack.portal.models import PlanDetails, SiteProtocol
from fusiontrack.portal.wording import timepoint_phrase
from fusiontrack.registry.models import Episode, FollowUp

KINDS = ("preparation", "recovery")


class PlanUnavailable(Exception):
    """The plan cannot be made yet (message says why, in the patient's language)."""


@lru_cache(maxsize=64)
def _protocol_cached(site_id: int, stamp: str, overrides_json: str) -> ClinicProtocol:
    import json

    return protocol_with_overrides(json.loads(overrides_json))


def protocol_for_site(site_id: int) -> ClinicProtocol:
    """The default protocol, or the site's overrides merged onto it (validated, cached)."""
    import json

    row = SiteProtocol.objects.filter(site_id=site_id).first()
    if row is None or not row.overrides:
        return DEFAULT_PROTOCOL
    return _protocol_cached(site_id, row.updated_at.isoformat(), json.dumps(row.overrides))


def details_for(episode: Episode) -> PlanDetails:
    details = PlanDetails.objects.filter(episode=episode).first()
    return details if details is not None else PlanDetails(episode=episode)


def surgery_date_of(episode: Episode) -> dt.date | None:
    return episode.surgery_date or episode.planned_surgery_date


def build(episode: Episode, kind: str, *, today: dt.date) -> PreparationPlan | RecoveryPlan:
    surgery = surgery_date_of(episode)
    if surgery is None:
        raise PlanUnavailable(
            gettext("Your plan will be ready once your care team has set the date of surgery.")
        )
    details = details_for(episode)
    protocol = protocol_for_site(episode.site_id)
    try:
        if kind == "preparation":
            day = surgery - dt.timedelta(days=1) if details.arrive_evening_before else surgery
            return preparation_plan(
                surgery,
                dt.datetime.combine(day, details.arrival_time),
                list(details.medications or []),
                protocol,
                crcl_ml_min=details.crcl_ml_min,
                # Once the day of surgery has passed, preparation dates are history, not
                # "overdue: call your care team today" warnings.
                as_of=today if today <= surgery else None,
            )
        return recovery_plan(surgery, details.work_kind, protocol)
    except FusiontrackError as exc:
        raise PlanUnavailable(
            gettext("Your plan could not be made: %(why)s Please contact your care team.")
            % {"why": exc}
        ) from exc


def render_text(text: Text) -> str:
    return text.render(gettext)


@dataclass
class Line:
    text: str
    extra: list[str]
    css: str = ""


def context(episode: Episode, kind: str, *, today: dt.date) -> dict[str, Any]:
    """Everything the plan templates show, already translated."""
    plan = build(episode, kind, today=today)
    ctx: dict[str, Any] = {
        "kind": kind,
        "episode": episode,
        "patient": episode.patient,
        "surgery_date": plan.surgery_date,
        "unless_told": gettext("unless your care team tells you otherwise"),
        "protocol_version": f"{plan.protocol_id} {plan.protocol_version}",
        "surgery_passed": today > plan.surgery_date,
    }
    if isinstance(plan, PreparationPlan):
        ctx.update(
            checklist=[
                Line(render_text(i.text), [], "overdue" if i.overdue else "")
                for i in plan.checklist
            ],
            medications=[
                Line(render_text(m.text), [render_text(e) for e in m.extra], m.action)
                for m in plan.medications
            ],
            no_medications=not plan.medications,
            fasting_intro=render_text(plan.fasting_intro),
            fasting=[render_text(f.text) for f in plan.fasting],
        )
    else:
        ctx.update(
            weeks=[
                (render_text(e.title), [render_text(line) for line in e.lines]) for e in plan.weeks
            ],
            milestones=[
                (render_text(e.title), [render_text(line) for line in e.lines])
                for e in plan.milestones
            ],
            red_flags=[(f.urgency, render_text(f.text)) for f in plan.red_flags],
        )
    return ctx


def html(episode: Episode, kind: str, *, today: dt.date, for_pdf: bool = False) -> str:
    ctx = context(episode, kind, today=today)
    ctx["for_pdf"] = for_pdf
    return render_to_string(f"portal/plan_{kind}_document.html", ctx)


def pdf(episode: Episode, kind: str, *, today: dt.date) -> bytes:
    """The printable page as PDF (WeasyPrint; its stylesheet is the print CSS)."""
    import weasyprint  # heavy: imported only when a PDF is asked for
    from django.contrib.staticfiles import finders

    css_path = finders.find("portal/plan-print.css")
    document = weasyprint.HTML(string=html(episode, kind, today=today, for_pdf=True))
    stylesheets = [weasyprint.CSS(filename=css_path)] if css_path else []
    data: bytes = document.write_pdf(stylesheets=stylesheets)
    return data


def ics(episode: Episode, kind: str, *, today: dt.date, now: dt.datetime) -> str:
    """The plan's dates as a calendar: holds and checklist dates (preparation), milestones and
    the questionnaire due dates (recovery)."""
    plan = build(episode, kind, today=today)
    extra: list[CalendarEvent] = []
    if kind == "recovery":
        from fusiontrack.registry.scheduling import windows

        settled = set(
            FollowUp.objects.filter(episode=episode)
            .exclude(status="pending")
            .values_list("timepoint", flat=True)
        )
        for timepoint, due, _opens, _closes in windows(plan.surgery_date):
            if timepoint == "baseline" or timepoint in settled:
                continue
            summary = gettext("Questionnaire (%(when)s)") % {"when": timepoint_phrase(timepoint)}
            extra.append(
                CalendarEvent(f"questionnaire-{timepoint}", due, due, Text.literal(summary))
            )
    return plan_to_ics(
        plan,
        dtstamp=now,
        uid_namespace=f"episode-{episode.pk}",
        extra_events=extra,
        translate=gettext,
    )
