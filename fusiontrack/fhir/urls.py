"""URLs of the FHIR server (mounted at /fhir/ by fusiontrack/urls.py)."""

from __future__ import annotations

from django.urls import path

from fusiontrack.fhir import export_views, views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Group/<str:group_id>/$export", export_views.kick_off, name="export"),
    path("$export-status/<uuid:job_id>", export_views.status, name="export_status"),
    path("$export-file/<uuid:job_id>/<str:name>", export_views.file, name="export_file"),
    path("<str:resource_type>", views.type_endpoint, name="type"),
    path("<str:resource_type>/<str:resource_id>", views.instance, name="instance"),
    path("", views.not_found, {"path": ""}, name="root"),
    path("<path:path>", views.not_found, name="not_found"),
]
