"""App configuration of the cohort insight pages."""

from __future__ import annotations

from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "fusiontrack.insight"
    label = "insight"
    verbose_name = "Cohort insight"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Clear the cohort snapshot whenever a registry record is saved or deleted; in a
        serving process, warm it in the background (``warmup``)."""
        from django.db.models.signals import post_delete, post_save

        from fusiontrack.insight.snapshot import invalidate

        def registry_changed(sender: type, **kwargs: object) -> None:
            meta = getattr(sender, "_meta", None)
            if (
                meta is not None
                and meta.app_label == "registry"
                and meta.model_name != ("auditevent")
            ):
                invalidate()

        post_save.connect(registry_changed, weak=False, dispatch_uid="insight-snapshot-save")
        post_delete.connect(registry_changed, weak=False, dispatch_uid="insight-snapshot-delete")

        from django.utils import timezone

        from fusiontrack.insight.warmup import start_if_serving

        start_if_serving(timezone.localdate())
