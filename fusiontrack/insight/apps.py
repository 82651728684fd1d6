"""App configuration of the cohort insight pages."""

from __future__ import annotations

from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "fusiontrack.insight"
    label = "insight"
    verbose_name = "Cohort insight"
    default_auto_field = "django.db.models.BigAutoField"
