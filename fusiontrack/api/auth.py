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
    """Audit what a response showed (issue 6 audits every API and FHIR read).

    One entry per record type and patient, naming every record id shown in ``detail``: a
    search page of 50 observations of one patient is one chained append, not 50.
    """
    from fusiontrack.registry.access import role_at

    groups: dict[tuple[str, int | None, int | None], list[str]] = {}
    for obj, patient_id, site_id in rows:
        kind = obj._meta.model_name or type(obj).__name__.lower()
        groups.setdefault((kind, patient_id, site_id), []).append(str(obj.pk))
    for (kind, patient_id, site_id), ids in groups.items():
        role = role_at(request, site_id) if site_id is not None else None
        audit.record_event(
            request,
            "read",
            kind,
            ids[0] if len(ids) == 1 else "",
            patient_id=patient_id,
            site_id=site_id,
            role=role or "",
            detail={"ids": ids} if len(ids) > 1 else None,
        )
