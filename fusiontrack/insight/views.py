"""Cohort pages: authorise (role and site), validate the filters, call the pipeline, respond.

Every response is audited: the dashboard as a read of aggregates, CSV and PDF downloads as
exports (the patient PDF with the patient's id).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from fusiontrack.core import vocab
from fusiontrack.insight import reports
from fusiontrack.insight.csvout import frame_to_csv
from fusiontrack.insight.filters import AGE_BANDS, CohortFilter, FilterError
from fusiontrack.insight.presentation import display
from fusiontrack.insight.privacy import RULE, Viewer, viewer_for
from fusiontrack.insight.service import compute
from fusiontrack.insight.similar import similar_report
from fusiontrack.registry.access import get_episode_for_user, get_patient_for_user
from fusiontrack.registry.audit import record_event
from fusiontrack.registry.models import Site
from fusiontrack.registry.views.common import today

SECTIONS = (
    ("Patients", ("cohort",)),
    ("Patient-reported outcomes", ("means", "changes", "thresholds")),
    ("Follow-up completeness", ("completeness",)),
    ("Complications and events", ("complications", "clavien_dindo", "early_events", "survival")),
    ("Fusion, hospital stay and work", ("fusion", "length_of_stay", "return_to_work")),
    ("Radiographic measures", ("radiographic",)),
)


def _filters_or_error(request: HttpRequest) -> tuple[CohortFilter | None, str]:
    try:
        return CohortFilter.parse(request.GET), ""
    except FilterError as exc:
        return None, str(exc)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request)
    filters, error = _filters_or_error(request)
    context = {
        "error": error,
        "viewer": viewer,
        "rule": RULE,
        "fields": _form_fields(viewer, CohortFilter(), {}),
    }
    if filters is None:
        return render(request, "insight/dashboard.html", context, status=400)
    view = compute(
        viewer.site_ids, filters, as_of=today(), deidentified=viewer.deidentified, models=False
    )
    context.update(
        filters=filters,
        querystring=urlencode(filters.as_query()),
        view=view,
        sections=[
            (title, [display(view.board.tables[k]) for k in keys]) for title, keys in SECTIONS
        ],
        fields=_form_fields(viewer, filters, view.surgeon_labels),
    )
    record_event(
        request,
        "read",
        "cohort_dashboard",
        role=viewer.role,
        detail={"filters": filters.as_query(), "deidentified": viewer.deidentified},
    )
    return render(request, "insight/dashboard.html", context)


ANALYSES = {
    "attrition": (
        "Attrition-aware results",
        ("completeness", "attrition_ipw", "attrition_baseline"),
    ),
    "benchmarking": ("Benchmarking", ()),
}


@login_required
def analysis(request: HttpRequest, kind: str) -> HttpResponse:
    """The model-based pages (IPW attrition, risk-adjusted benchmarking): seconds, not
    milliseconds, on a large registry, so they are not part of the dashboard itself."""
    if kind not in ANALYSES:
        raise Http404("No such analysis.")
    viewer = viewer_for(request)
    filters, error = _filters_or_error(request)
    if filters is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    view = compute(viewer.site_ids, filters, as_of=today(), deidentified=viewer.deidentified)
    title, keys = ANALYSES[kind]
    record_event(
        request,
        "read",
        f"cohort_{kind}",
        role=viewer.role,
        detail={"filters": filters.as_query(), "deidentified": viewer.deidentified},
    )
    return render(
        request,
        "insight/analysis.html",
        {
            "title": title,
            "kind": kind,
            "viewer": viewer,
            "rule": RULE,
            "view": view,
            "filters": filters,
            "querystring": urlencode(filters.as_query()),
            "tables": [display(view.board.tables[k]) for k in keys],
        },
    )


@login_required
def table_csv(request: HttpRequest, key: str) -> HttpResponse:
    viewer = viewer_for(request)
    filters, error = _filters_or_error(request)
    if filters is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    models = key.startswith(("attrition", "benchmark"))
    view = compute(
        viewer.site_ids, filters, as_of=today(), deidentified=viewer.deidentified, models=models
    )
    table = view.board.tables.get(key)
    if table is None:
        raise Http404("No such chart or table.")
    body = frame_to_csv(table.frame, comment=f"{table.title}. {table.note}")
    record_event(
        request,
        "export",
        "cohort_csv",
        key,
        role=viewer.role,
        detail={"filters": filters.as_query(), "deidentified": viewer.deidentified},
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="fusiontrack-{key}.csv"'
    return response


@login_required
def cohort_pdf(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request)
    filters, error = _filters_or_error(request)
    if filters is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    as_of = today()
    view = compute(viewer.site_ids, filters, as_of=as_of, deidentified=viewer.deidentified)
    pdf = reports.cohort_pdf(view, as_of=as_of, title=_sites_title(viewer.site_ids))
    record_event(
        request,
        "export",
        "cohort_report",
        role=viewer.role,
        detail={"filters": filters.as_query(), "deidentified": viewer.deidentified},
    )
    return _pdf(pdf, "fusiontrack-cohort-report.pdf")


@login_required
def patient_pdf(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request, patient_id)
    pdf = reports.patient_pdf(patient, as_of=today())
    record_event(
        request,
        "export",
        "patient_report",
        str(patient.pk),
        patient_id=patient.pk,
        site_id=patient.site_id,
        role=viewer_for(request).role,
    )
    return _pdf(pdf, f"fusiontrack-patient-{patient.site.code}-{patient.mrn}.pdf")


@login_required
def patients_like_you(request: HttpRequest, episode_id: int) -> HttpResponse:
    """Outcomes of similar past patients and the outcome model, for one patient (staff only)."""
    episode = get_episode_for_user(request, episode_id)
    viewer = viewer_for(request)
    # Registry-wide: only aggregates of at least 30 matched patients leave other sites.
    site_ids = tuple(Site.objects.order_by("pk").values_list("pk", flat=True))
    report = similar_report(episode, site_ids, today())
    record_event(
        request,
        "read",
        "patients_like_you",
        str(episode.pk),
        patient_id=episode.patient_id,
        site_id=episode.site_id,
        role=viewer.role,
    )
    return render(request, "insight/similar.html", {"episode": episode, "report": report})


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in filename)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


def _sites_title(site_ids: tuple[int, ...]) -> str:
    return ", ".join(Site.objects.filter(pk__in=site_ids).values_list("name", flat=True))


def _form_fields(
    viewer: Viewer, filters: CohortFilter, surgeons: dict[int, str]
) -> list[dict[str, Any]]:
    """The filter form: (name, label, options with the selected one) per select."""
    chosen = filters.as_query()
    options: list[tuple[str, str, Sequence[tuple[str, str]]]] = [
        (
            "site",
            "Site",
            list(Site.objects.filter(pk__in=viewer.site_ids).values_list("code", "name")),
        ),
        (
            "surgeon",
            "Surgeon",
            [(str(k), v) for k, v in sorted(surgeons.items(), key=lambda kv: kv[1])],
        ),
        ("diagnosis", "Diagnosis", vocab.DIAGNOSES),
        ("approach", "Approach", vocab.APPROACHES),
        ("levels", "Levels", vocab.LEVELS),
        ("age_band", "Age", [(k, k) for k in AGE_BANDS]),
        ("sex", "Sex", vocab.SEX),
        ("smoking", "Smoking", vocab.SMOKING_STATUS),
        ("asa", "ASA", vocab.ASA_CLASSES),
    ]
    return [
        {
            "name": name,
            "label": label,
            "options": [(code, text, chosen.get(name) == code) for code, text in choices],
        }
        for name, label, choices in options
    ]
