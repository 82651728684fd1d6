"""Cohort insight routes (mounted at /cohort/)."""

from __future__ import annotations

from django.urls import path

from fusiontrack.insight import views

app_name = "insight"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:kind>/", views.analysis, name="analysis"),
    path("csv/<slug:key>.csv", views.table_csv, name="table_csv"),
    path("report.pdf", views.cohort_pdf, name="cohort_pdf"),
    path("episodes/<int:episode_id>/similar/", views.patients_like_you, name="similar"),
    path("patients/<int:patient_id>/report.pdf", views.patient_pdf, name="patient_pdf"),
]
