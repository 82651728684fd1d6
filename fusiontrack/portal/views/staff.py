"""Staff side of the portal: invitation states per patient, "Send questionnaire", revoke, and the
plan details of an episode. Access through the registry's helpers (role and site checked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from fusiontrack.portal import delivery, invitations, plans
from fusiontrack.portal.forms import PlanDetailsForm, SendInvitationForm
from fusiontrack.portal.models import Invitation
from fusiontrack.registry import access, audit
from fusiontrack.registry.models import Episode

STATE_LABELS = {
    "created": "created",
    "sent": "sent",
    "opened": "opened",
    "completed": "completed",
    "expired": "expired",
    "failed": "failed",
    "unreachable": "unreachable",
    "revoked": "revoked",
    "locked": "locked (date of birth)",
}


def invitation_rows(patient: Any, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for invitation in Invitation.objects.filter(patient=patient).prefetch_related("messages"):
        state = invitation.state(now)
        rows.append(
            {
                "invitation": invitation,
                "state": state,
                "label": STATE_LABELS[state],
                "messages": list(invitation.messages.all()),
            }
        )
    return rows


def panel_context(request: HttpRequest, patient: Any, episode: Any) -> dict[str, Any]:
    role = access.role_at(request, patient.site_id)
    return {
        "patient": patient,
        "episode": episode,
        "rows": invitation_rows(patient, timezone.now()),
        "can_send": episode is not None and access.can_write(role, "questionnaire"),
        "send_form": SendInvitationForm(auto_id="portal-send-%s"),
        "next": request.get_full_path(),
    }


def _next_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


@login_required
def patient_invitations(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access.get_patient_for_user(request, patient_id)
    episode = Episode.objects.filter(patient=patient).first()
    audit.record(
        request,
        "read",
        patient,
        patient_id=patient.pk,
        site_id=patient.site_id,
        role=access.role_at(request, patient.site_id) or "",
    )
    return render(
        request, "portal/staff/invitations.html", panel_context(request, patient, episode)
    )


@login_required
@require_POST
def send(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id, kind="questionnaire", write=True)
    fallback = reverse("portal:staff_invitations", args=[episode.patient_id])
    form = SendInvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a time point and a channel.")
        return redirect(_next_or(request, fallback))
    now = timezone.now()
    role = access.role_at(request, episode.site_id) or ""
    try:
        invitation = invitations.create_invitation(
            episode=episode,
            timepoint=form.cleaned_data["timepoint"],
            now=now,
            source="staff",
            request=request,
            user=request.user,
            role=role,
        )
    except invitations.InvitationError as exc:
        messages.error(request, str(exc))
        return redirect(_next_or(request, fallback))
    channel = form.cleaned_data["channel"]
    message = delivery.queue_message(
        invitation, kind="invite", now=now, channel=None if channel == "auto" else channel
    )
    if message is None:
        messages.warning(
            request,
            "Invitation created, but the patient has no e-mail address or phone number for that "
            "channel: marked unreachable. Add contact details, or give the link on paper "
            "(fusiontrack invite).",
        )
    else:
        outcome = delivery.deliver_one(message.pk, now)
        text = {
            "sent": f"Questionnaire sent by {message.get_channel_display()}.",
            "retry": "Sending failed for now; the scheduler will retry.",
        }.get(outcome, f"Questionnaire queued ({outcome}).")
        messages.success(request, text)
    return redirect(_next_or(request, fallback))


@login_required
@require_POST
def revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    episode = access.get_episode_for_user(
        request, invitation.episode_id, kind="questionnaire", write=True
    )
    invitations.revoke(
        invitation,
        now=timezone.now(),
        request=request,
        role=access.role_at(request, episode.site_id) or "",
    )
    messages.success(request, "Link revoked: it no longer opens.")
    fallback = reverse("portal:staff_invitations", args=[invitation.patient_id])
    return redirect(_next_or(request, fallback))


def _json_safe(changes: dict[str, Any]) -> dict[str, Any]:
    """Times (arrival) as ISO text, as the audit log stores JSON."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return dict(json.loads(json.dumps(changes, cls=DjangoJSONEncoder)))


@login_required
@require_http_methods(["GET", "POST"])
def plan_details(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id, kind="episode", write=True)
    details = plans.details_for(episode)
    before = audit.snapshot(details) if details.pk else {}
    form = PlanDetailsForm(
        request.POST or None, instance=details, protocol=plans.protocol_for_site(episode.site_id)
    )
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        audit.record(
            request,
            "update" if before else "create",
            saved,
            patient_id=episode.patient_id,
            site_id=episode.site_id,
            role=access.role_at(request, episode.site_id) or "",
            changes=_json_safe(audit.diff(before, audit.snapshot(saved))),
        )
        messages.success(request, "Plan details saved.")
        return redirect("portal:staff_plan_details", episode_id=episode.pk)
    return render(
        request,
        "portal/staff/plan_details.html",
        {"form": form, "episode": episode, "patient": episode.patient},
    )
