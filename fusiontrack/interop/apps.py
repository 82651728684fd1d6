"""App configuration of the importers (their model: one row per import run)."""

from __future__ import annotations

from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "fusiontrack.interop"
    label = "fusiontrack_interop"
    verbose_name = "Imports"
    default_auto_field = "django.db.models.BigAutoField"
