"""App configuration: registers the fail-closed production checks on start-up."""

from __future__ import annotations

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "fusiontrack.registry"
    label = "registry"
    verbose_name = "Registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fusiontrack.registry import checks  # noqa: F401  (registers the system checks)
