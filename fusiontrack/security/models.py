"""Tables of the security app: failed log-ins (for throttling) and staff sessions (for revoking)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LoginFailure(models.Model):
    """One failed log-in. Counted per account and per IP address over a sliding window.

    ``account`` is a sha256 of the lower-cased user name, so names mistyped into the user field
    (often passwords) are not kept in clear.
    """

    at = models.DateTimeField(db_index=True)
    account = models.CharField(max_length=64, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)


class StaffSession(models.Model):
    """Which server-side sessions belong to a user, so disabling the user can end them all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
