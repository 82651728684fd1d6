"""Preparation and recovery plans as a printable page, a PDF and a calendar file.

Two doors to the same renderer: the patient's session (their own episode) and staff (who print
it for a patient, checked by the registry's access helper).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from fusiontrack.portal import plans
from fusiontrack.portal.sessions import patient_view
from fusiontrack.registry import access, audit

FORMATS = ("html", "pdf", "ics")


def _respond(request: HttpRequest, episode: Any, kind: str, fmt: str, base: str) -> HttpResponse:
    if kind not in plans.KINDS or fmt not in FORMATS:
        raise Http404("No such plan.")
    now = timezone.now()
    today = timezone.localdate(now)
    try:
        if fmt == "pdf":
            response = HttpResponse(plans.pdf(episode, kind, today=today), "application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{kind}-plan.pdf"'
            return response
        if fmt == "ics":
            body = plans.ics(episode, kind, today=today, now=now)
            response = HttpResponse(body, "text/calendar; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{kind}-plan.ics"'
            return response
        context = plans.context(episode, kind, today=today)
    except plans.PlanUnavailable as exc:
        return render(request, "portal/plan_unavailable.html", {"why": str(exc), "base": base})
    context["base"] = base
    return render(request, f"portal/plan_{kind}.html", context)


@require_GET
@patient_view(allow_closed=True)
def patient_plan(request: HttpRequest, kind: str, fmt: str = "html") -> HttpResponse:
    invitation = request.invitation  # type: ignore[attr-defined]
    audit.record(
        request,
        "read",
        invitation.episode,
        patient_id=invitation.patient_id,
        site_id=invitation.site_id,
        role="patient",
    )
    return _respond(request, invitation.episode, kind, fmt, "portal/base.html")


@login_required
@require_GET
def staff_plan(request: HttpRequest, episode_id: int, kind: str, fmt: str = "html") -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id)
    role = access.role_at(request, episode.site_id) or ""
    audit.record(
        request, "read", episode, patient_id=episode.patient_id, site_id=episode.site_id, role=role
    )
    return _respond(request, episode, kind, fmt, "portal/staff/base.html")
