"""App configuration of the cohort insight pages."""

from __future__ import annotations

from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "fusiontrack.insight"
    label = "insight"
    verbose_name = "Cohort insight"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Record every change of a record the cohort reads in the change log that keeps the
        in-memory snapshot current (``changes``); in a serving process, load the snapshot in
        the background (``warmup``)."""
        from fusiontrack.insight import changes

        changes.connect()

        from django.utils import timezone

        from fusiontrack.insight.warmup import start_if_serving

        start_if_serving(timezone.localdate())
