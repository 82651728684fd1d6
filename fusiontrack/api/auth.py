"""Authentication for the REST API: an API token (integrations) or the staff session (the UI).

Token management itself needs the session: a token cannot mint or revoke tokens.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, SessionAuth

from fusiontrack.api import tokens
from fusiontrack.registry import audit


class TokenAuth(APIKeyHeader):
    """``Authorization: Bearer ft_<prefix>_<secret>`` (shown as a header key in OpenAPI)."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        token = tokens.authenticate(request)
        return token.user if token is not None else None


class Session(SessionAuth):
    """The staff login (CSRF-checked for unsafe methods, as in the UI)."""


TOKEN_OR_SESSION = [TokenAuth(), Session()]
SESSION_ONLY = [Session()]


def audit_reads(request: HttpRequest, rows: list[tuple[Any, int | None, int | None]]) -> None:
    """One read entry per (record, patient id, site id) shown — issue 6 audits every API read."""
    from fusiontrack.registry.access import role_at

    for obj, patient_id, site_id in rows:
        role = role_at(request, site_id) if site_id is not None else None
        audit.record(request, "read", obj, patient_id=patient_id, site_id=site_id, role=role or "")
