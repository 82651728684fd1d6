"""Security pages, mounted at /security/ by fusiontrack/urls.py."""

from __future__ import annotations

from django.urls import path

from fusiontrack.security import views

app_name = "security"

urlpatterns = [
    path("mfa/", views.mfa, name="mfa"),
    path("audit/patients/<int:patient_id>/", views.patient_audit, name="patient_audit"),
]
