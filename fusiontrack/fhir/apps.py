"""App configuration of the FHIR server (its model: Bulk Data export jobs)."""

from __future__ import annotations

from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "fusiontrack.fhir"
    label = "fusiontrack_fhir"
    verbose_name = "FHIR"
    default_auto_field = "django.db.models.BigAutoField"
