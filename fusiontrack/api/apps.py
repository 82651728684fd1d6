"""App configuration of the REST API (its models: API tokens)."""

from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fusiontrack.api"
    label = "fusiontrack_api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"
