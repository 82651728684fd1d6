"""Patient list, patient page (journey, before/after panel, charts) and patient forms."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fusiontrack.registry import access, services
from fusiontrack.registry.audit import snapshot
from fusiontrack.registry.charts import build_chart, pick_reference, reference_groups
from fusiontrack.registry.forms import PatientForm, StageForm
from fusiontrack.registry.journey import build_journey, load_episode
from fusiontrack.registry.kinds import KINDS
from fusiontrack.registry.models import Episode, Patient, ReferenceTrajectory, Site
from fusiontrack.registry.panel import build_panel
from fusiontrack.registry.views.common import int_or_none, paginate, save_edit, today


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    allowed = access.clinical_site_ids(request)
    q = request.GET.get("q", "").strip()
    qs = Patient.objects.filter(site_id__in=allowed).select_related("site")
    if q:
        qs = qs.filter(
            Q(mrn__iexact=q) | Q(family_name__istartswith=q) | Q(given_name__istartswith=q)
        )
    sites = Site.objects.filter(pk__in=allowed)
    writable = [s for s in sites if access.can_write(access.role_at(request, s.pk), "patient")]
    page = paginate(request, qs.order_by("family_name", "given_name", "id"))
    services.audit_list(request, "patient_list", [p.pk for p in page.object_list])
    context = {"page": page, "q": q, "writable_sites": writable}
    return render(request, "registry/patient_list.html", context)


@login_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access.get_patient_for_user(request, patient_id)
    role = access.role_at(request, patient.site_id) or ""
    episodes = list(Episode.objects.filter(patient=patient).select_related("surgeon"))
    wanted = int_or_none(request.GET.get("episode"))
    episode = next((e for e in episodes if e.pk == wanted), episodes[0] if episodes else None)
    as_of = today()
    context: dict[str, object] = {
        "patient": patient,
        "episodes": episodes,
        "episode": episode,
        "role": role,
        "can_edit_patient": access.can_write(role, "patient"),
        "writable_kinds": [k for k in KINDS.values() if access.can_write(role, k.slug)],
        "can_enter_questionnaire": access.can_write(role, "questionnaire"),
        "as_of": as_of,
    }
    if episode is not None:
        data = load_episode(episode)
        panel = build_panel(data.responses)
        groups = reference_groups(data.primary_diagnosis)
        refs = list(
            ReferenceTrajectory.objects.filter(
                measure__in=[r.measure.id for r in panel], group__in=groups
            )
        )
        charts = [build_chart(row, *pick_reference(refs, row.measure.id, groups)) for row in panel]
        context.update(
            data=data,
            journey=build_journey(data, as_of),
            panel=list(zip(panel, charts, strict=True)),
            stage_form=StageForm(initial={"stage": episode.stage, "entered_on": as_of}),
        )
    services.audit_read(request, patient, role)
    return render(request, "registry/patient_detail.html", context)


@login_required
def patient_create(request: HttpRequest) -> HttpResponse:
    allowed = access.clinical_site_ids(request)
    site_id = int_or_none(request.POST.get("site") or request.GET.get("site")) or allowed[0]
    site = access.require_site_for_user(request, site_id, kind="patient")
    form = PatientForm(request.POST or None, site_id=site.pk, as_of=today())
    if request.method == "POST" and form.is_valid():
        patient = form.save(commit=False)
        patient.site = site
        services.create_record(request, patient, role=access.role_at(request, site.pk) or "")
        messages.success(request, f"Patient {patient.full_name} added.")
        return redirect("registry:patient_detail", patient_id=patient.pk)
    return render(
        request, "registry/patient_form.html", {"form": form, "site": site, "patient": None}
    )


@login_required
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access.get_patient_for_user(request, patient_id, write=True)
    before = snapshot(patient)
    form = PatientForm(request.POST or None, instance=patient, as_of=today())
    if (
        request.method == "POST"
        and form.is_valid()
        and save_edit(request, form, before=before, site_id=patient.site_id)
    ):
        messages.success(request, "Patient details saved.")
        return redirect("registry:patient_detail", patient_id=patient.pk)
    return render(
        request,
        "registry/patient_form.html",
        {"form": form, "site": patient.site, "patient": patient},
    )
