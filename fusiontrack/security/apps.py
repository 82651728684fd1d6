from __future__ import annotations

from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "fusiontrack.security"
    label = "security"
    verbose_name = "Security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fusiontrack.security import (  # noqa: F401  (connects receivers, registers checks)
            checks,
            signals,
        )
