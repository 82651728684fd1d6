"""Bulk Data export jobs (FHIR Bulk Data Access IG, $export): one row per kick-off.

A job is queued by the kick-off request and run by a background thread in the web process or,
with FUSIONTRACK_FHIR_EXPORT_RUNNER=queue, by ``fusiontrack fhir-export-worker`` (see export.py).
Files live under ``$FUSIONTRACK_DATA_DIR/fhir-export/<job id>/``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from fusiontrack.registry.models import Site


class ExportJob(models.Model):
    STATUSES = (
        ("queued", "Queued"),
        ("running", "Running"),
        ("completed", "Completed"),
        ("failed", "Failed"),
        ("cancelled", "Cancelled"),
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fhir_exports"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="fhir_exports")
    api_token_id = models.BigIntegerField(null=True, blank=True)
    request_url = models.CharField(max_length=1000)
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=STATUSES, default="queued")
    transaction_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.CharField(max_length=200, blank=True)
    output = models.JSONField(default=list, help_text="[{type, file, count}]")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at",)
