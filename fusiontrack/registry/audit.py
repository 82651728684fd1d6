"""The audit trail: one function writes every entry (issue 6 hardens this module only).

Views call ``record`` for reads of identifiable pages; ``services`` calls it for every create,
update and delete, inside the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from fusiontrack.registry.models import AuditEvent

Changes = dict[str, list[Any]]


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Field values of a record (foreign keys as ids), for diffing before and after a change."""
    names = fields or [
        f.attname for f in obj._meta.concrete_fields if f.name not in {"created_at", "updated_at"}
    ]
    return {name: _json_value(getattr(obj, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _client(request: HttpRequest | None) -> tuple[str | None, str, str]:
    if request is None:
        return None, "", ""
    ip = request.META.get("REMOTE_ADDR") or None
    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    return ip, agent, request.path[:300]


def record(
    request: HttpRequest | None,
    action: str,
    obj: models.Model,
    *,
    patient_id: int | None,
    site_id: int | None,
    role: str = "",
    changes: Changes | None = None,
    reason: str = "",
    user: Any = None,
) -> AuditEvent:
    """Append one audit entry. ``request`` is None for the CLI and background jobs."""
    actor = user if user is not None else getattr(request, "user", None)
    authenticated = actor is not None and actor.is_authenticated
    ip, agent, path = _client(request)
    return AuditEvent.objects.create(
        at=timezone.now(),
        user_id_ref=actor.pk if authenticated else None,
        username=actor.get_username() if authenticated else "",
        role=role,
        action=action,
        object_type=obj._meta.model_name or type(obj).__name__.lower(),
        object_id=str(obj.pk or ""),
        patient_id_ref=patient_id,
        site_id_ref=site_id,
        changes=changes or {},
        reason=reason[:300],
        ip_address=ip,
        user_agent=agent,
        path=path,
    )
