"""Per-user API tokens for integrations: hashed, scoped to one site and read or write, revocable.

The secret is shown once at creation; only its SHA-256 is stored. A plain hash (not Argon2) is
right here because the secret is 256 random bits, not a password: there is nothing to
brute-force, and every API request checks it. ``prefix`` finds the row without scanning.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fusiontrack.registry.models import Site


class ApiToken(models.Model):
    SCOPES = (("read", "Read"), ("write", "Read and write"))

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. EHR feed.")
    scope = models.CharField(max_length=10, choices=SCOPES, default="read")
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.scope} at {self.site_id})"

    @property
    def can_write(self) -> bool:
        return self.scope == "write"
