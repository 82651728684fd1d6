"""App configuration for the patient portal."""

from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "fusiontrack.portal"
    label = "portal"
    verbose_name = "Patient portal"
    default_auto_field = "django.db.models.BigAutoField"
