"""Add, edit and delete any record of the journey (the kinds table drives the form)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from fusiontrack.registry import access, services
from fusiontrack.registry.audit import snapshot
from fusiontrack.registry.kinds import get_kind
from fusiontrack.registry.views.common import save_edit, today


def _back(episode) -> str:  # type: ignore[no-untyped-def]
    url = reverse("registry:patient_detail", args=[episode.patient_id])
    return f"{url}?episode={episode.pk}"


def _form(kind, request, episode, instance=None):  # type: ignore[no-untyped-def]
    kwargs = {"instance": instance, "as_of": today()}
    if kind.slug == "operation":
        kwargs["site_id"] = episode.site_id
    initial = {kind.date_field: today()} if instance is None else None
    if initial is not None and kind.slug == "operation":
        initial["surgeon"] = episode.surgeon_id
    return kind.form(request.POST or None, initial=initial, **kwargs)


@login_required
def record_create(request: HttpRequest, episode_id: int, kind_slug: str) -> HttpResponse:
    kind = get_kind(kind_slug)
    episode = access.get_episode_for_user(request, episode_id, kind=kind.slug, write=True)
    form = _form(kind, request, episode)
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        record.episode = episode
        services.create_record(request, record, role=access.role_at(request, episode.site_id) or "")
        messages.success(request, f"{kind.label} added.")
        return redirect(_back(episode))
    context = {"form": form, "kind": kind, "episode": episode, "patient": episode.patient}
    return render(request, "registry/record_form.html", context)


@login_required
def record_edit(request: HttpRequest, kind_slug: str, record_id: int) -> HttpResponse:
    kind = get_kind(kind_slug)
    record = access.get_record_for_user(request, kind.model, record_id, kind=kind.slug, write=True)
    episode = record.episode  # type: ignore[attr-defined]
    before = snapshot(record)
    form = _form(kind, request, episode, instance=record)
    if (
        request.method == "POST"
        and form.is_valid()
        and save_edit(request, form, before=before, site_id=episode.site_id)
    ):
        messages.success(request, f"{kind.label} saved.")
        return redirect(_back(episode))
    context = {
        "form": form,
        "kind": kind,
        "episode": episode,
        "patient": episode.patient,
        "record": record,
    }
    return render(request, "registry/record_form.html", context)


@login_required
def record_delete(request: HttpRequest, kind_slug: str, record_id: int) -> HttpResponse:
    kind = get_kind(kind_slug)
    record = access.get_record_for_user(request, kind.model, record_id, kind=kind.slug, write=True)
    episode = record.episode  # type: ignore[attr-defined]
    if request.method == "POST":
        services.delete_record(request, record, role=access.role_at(request, episode.site_id) or "")
        messages.success(request, f"{kind.label} deleted.")
        return redirect(_back(episode))
    context = {
        "kind": kind,
        "record": record,
        "episode": episode,
        "patient": episode.patient,
        "summary": kind.summary(record),
    }
    return render(request, "registry/record_delete.html", context)
