"""App configuration for radiographs and their measurements."""

from __future__ import annotations

from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "fusiontrack.imaging"
    label = "imaging"
    verbose_name = "Imaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fusiontrack.imaging import signals  # noqa: F401  (removes files with their rows)
