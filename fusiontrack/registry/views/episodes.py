"""Episodes of care: open one, edit it, move it to another stage."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from fusiontrack.registry import access, services
from fusiontrack.registry.audit import snapshot
from fusiontrack.registry.forms import EpisodeForm, StageForm
from fusiontrack.registry.views.common import save_edit, today


def _back(episode) -> str:  # type: ignore[no-untyped-def]
    url = reverse("registry:patient_detail", args=[episode.patient_id])
    return f"{url}?episode={episode.pk}"


@login_required
def episode_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access.get_patient_for_user(request, patient_id, write=True)
    form = EpisodeForm(
        request.POST or None,
        site_id=patient.site_id,
        as_of=today(),
        initial={"opened_on": today()},
    )
    if request.method == "POST" and form.is_valid():
        episode = form.save(commit=False)
        episode.patient = patient
        episode.stage_entered_on = episode.opened_on
        services.create_episode(
            request, episode, role=access.role_at(request, patient.site_id) or ""
        )
        messages.success(request, "Episode of care opened.")
        return redirect(_back(episode))
    return render(
        request, "registry/episode_form.html", {"form": form, "patient": patient, "episode": None}
    )


@login_required
def episode_edit(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id, write=True)
    before = snapshot(episode)
    form = EpisodeForm(request.POST or None, instance=episode, as_of=today())
    if (
        request.method == "POST"
        and form.is_valid()
        and save_edit(request, form, before=before, site_id=episode.site_id)
    ):
        messages.success(request, "Episode saved.")
        return redirect(_back(episode))
    context = {"form": form, "patient": episode.patient, "episode": episode}
    return render(request, "registry/episode_form.html", context)


@require_POST
@login_required
def stage_change(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id, write=True)
    form = StageForm(request.POST)
    if form.is_valid():
        services.change_stage(
            request,
            episode,
            stage=form.cleaned_data["stage"],
            entered_on=form.cleaned_data["entered_on"],
            note=form.cleaned_data["note"],
            role=access.role_at(request, episode.site_id) or "",
        )
        messages.success(request, f"Stage changed to {episode.get_stage_display().lower()}.")
    else:
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"Stage not changed: {errors}")
    return redirect(_back(episode))
