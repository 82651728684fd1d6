"""Staff UI routes."""

from __future__ import annotations

from django.urls import path

from fusiontrack.registry.views import episodes, patients, questionnaires, records, worklist

app_name = "registry"

urlpatterns = [
    path("worklist/", worklist.worklist, name="worklist"),
    path("patients/", patients.patient_list, name="patient_list"),
    path("patients/new/", patients.patient_create, name="patient_create"),
    path("patients/<int:patient_id>/", patients.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/edit/", patients.patient_edit, name="patient_edit"),
    path("patients/<int:patient_id>/episodes/new/", episodes.episode_create, name="episode_create"),
    path("episodes/<int:episode_id>/edit/", episodes.episode_edit, name="episode_edit"),
    path("episodes/<int:episode_id>/stage/", episodes.stage_change, name="stage_change"),
    path(
        "episodes/<int:episode_id>/questionnaires/new/",
        questionnaires.response_create,
        name="response_create",
    ),
    path(
        "episodes/<int:episode_id>/<slug:kind_slug>/new/",
        records.record_create,
        name="record_create",
    ),
    path("records/<slug:kind_slug>/<int:record_id>/edit/", records.record_edit, name="record_edit"),
    path(
        "records/<slug:kind_slug>/<int:record_id>/delete/",
        records.record_delete,
        name="record_delete",
    ),
    path("responses/<int:response_id>/", questionnaires.response_detail, name="response_detail"),
    path("responses/<int:response_id>/edit/", questionnaires.response_edit, name="response_edit"),
]
