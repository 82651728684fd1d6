"""One row per import run: what was read, by whom, and what it did (the audit trail names it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fusiontrack.registry.models import Site


class ImportRun(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="import_runs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    file_name = models.CharField(max_length=300)
    file_sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=20)  # bundle, ndjson, csv
    dry_run = models.BooleanField(default=False)
    all_or_nothing = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, help_text="{created_patients, created_responses, ...}")
    errors = models.JSONField(default=list, help_text="[{row, message}] (first 1000)")

    class Meta:
        ordering = ("-started_at",)
