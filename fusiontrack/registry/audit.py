"""The audit trail: one function writes every entry (issue 6 hardens this module only).

Views call ``record`` for reads of identifiable pages; ``services`` calls it for every create,
update and delete, inside the same transaction as the change. Events that are not about one
record (a log-in, a list page, an export) go through ``record_event``.

Tamper evidence: entries form a hash chain. Each entry stores ``sequence`` (1, 2, 3...), the
previous entry's hash and its own ``hash = sha256(prev_hash + canonical JSON of the entry)``.
Appends go through one head row (``AuditChainHead``): on PostgreSQL one statement moves the head
and inserts the entry, the head's row lock serialising concurrent appends; on SQLite the write
lock that ``BEGIN IMMEDIATE`` takes does the same. Two requests never claim the same position.
``verify_chain`` recomputes every hash and names the first entry that does not match.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from fusiontrack.registry.models import AuditChainHead, AuditEvent

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


#: Fields covered by the hash, in the canonical JSON (id is not: it is the database's business).
HASHED_FIELDS = (
    "sequence",
    "prev_hash",
    "at",
    "user_id_ref",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "patient_id_ref",
    "site_id_ref",
    "changes",
    "reason",
    "ip_address",
    "user_agent",
    "path",
    "detail",
)


def _plain_json(value: Any) -> Any:
    """What the JSON column will give back, so the hash computed now matches the one re-read."""
    return json.loads(json.dumps(value, default=_json_value_or_str, allow_nan=False))


def _json_value_or_str(value: Any) -> Any:
    converted = _json_value(value)
    return str(converted) if converted is value else converted


def canonical(entry: AuditEvent) -> str:
    """The entry as canonical JSON (sorted keys, no spaces, UTC microsecond timestamps)."""
    data: dict[str, Any] = {name: getattr(entry, name) for name in HASHED_FIELDS}
    data["at"] = entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: AuditEvent) -> str:
    return hashlib.sha256((entry.prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def _clean_text(value: str, limit: int) -> str:
    """Text as stored: bounded, without NUL (PostgreSQL refuses it)."""
    return value.replace("\x00", "")[:limit]


def _normal_ip(raw: str | None) -> str | None:
    try:
        return ipaddress.ip_address(raw).compressed if raw else None
    except ValueError:
        return None


def _canonical_parts(entry: AuditEvent) -> tuple[str, str, str]:
    """The canonical JSON cut around the two values only the chain's head knows:
    ``canonical == p0 + prev_hash + p1 + str(sequence) + p2`` (checked by a test)."""
    data: dict[str, Any] = {
        name: getattr(entry, name)
        for name in HASHED_FIELDS
        if name not in ("sequence", "prev_hash")
    }
    data["at"] = entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    data["prev_hash"] = data["sequence"] = None
    parts: list[str] = []
    current = "{"
    for i, key in enumerate(sorted(data)):
        current += ("," if i else "") + json.dumps(key, ensure_ascii=False) + ":"
        if key == "prev_hash":
            parts.append(current + '"')
            current = '"'
        elif key == "sequence":
            parts.append(current)
            current = ""
        else:
            current += json.dumps(
                data[key], sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
    parts.append(current + "}")
    return parts[0], parts[1], parts[2]


_COLUMNS = (
    "at", "user_id_ref", "username", "role", "action", "object_type", "object_id",
    "patient_id_ref", "site_id_ref", "changes", "reason", "ip_address", "user_agent", "path",
    "detail",
)  # fmt: skip

#: PostgreSQL: move the head and insert the entry in one statement. The UPDATE's row lock
#: serialises appends and, after waiting, sees the newest committed head; every right-hand side
#: of SET reads the old row, so ``prev_hash = hash`` and the new hash chain onto the old one.
_PG_APPEND = """
WITH head AS (
    UPDATE registry_auditchainhead
    SET sequence = sequence + 1,
        prev_hash = hash,
        hash = encode(sha256(convert_to(
            hash || %s || hash || %s || (sequence + 1)::text || %s, 'UTF8')), 'hex')
    WHERE id = 1
    RETURNING sequence, prev_hash, hash
)
INSERT INTO registry_auditevent (sequence, prev_hash, hash, {columns})
SELECT head.sequence, head.prev_hash, head.hash, {values} FROM head
RETURNING id, sequence, prev_hash, hash
"""
#: SQLite (one writer at a time already): move the head, then insert with the ORM.
_SQLITE_HEAD = """
UPDATE registry_auditchainhead
SET sequence = sequence + 1,
    prev_hash = hash,
    hash = SHA256(hash || %s || hash || %s || (sequence + 1) || %s)
WHERE id = 1
RETURNING sequence, prev_hash, hash
"""


def _start_head() -> None:
    """Create the head row from the chain (after a test flush or a restore without it)."""
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "prev_hash", "hash").first()
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(id=1, **(last or {"sequence": 0, "prev_hash": "", "hash": ""}))],
        ignore_conflicts=True,
    )


def _advance(entry: AuditEvent) -> tuple[int, str, str] | None:
    """Append ``entry`` (PostgreSQL: insert it too); (id or 0, sequence, prev_hash, hash)."""
    p0, p1, p2 = _canonical_parts(entry)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = []
            params: list[Any] = [p0, p1, p2]
            for name in _COLUMNS:
                value = getattr(entry, name)
                if name in ("changes", "detail"):
                    values.append("%s::jsonb")
                    value = json.dumps(value, ensure_ascii=False)
                elif name == "ip_address":
                    values.append("%s::inet")
                else:
                    values.append("%s")
                params.append(value)
            sql = _PG_APPEND.format(columns=", ".join(_COLUMNS), values=", ".join(values))
            cursor.execute(sql, params)
        else:
            cursor.execute(_SQLITE_HEAD, [p0, p1, p2])
            row = cursor.fetchone()
            return None if row is None else (0, *row)
        row = cursor.fetchone()
    return None if row is None else tuple(row)  # type: ignore[return-value]


def _append(**fields: Any) -> AuditEvent:
    """Write one entry at the head of the chain (the only INSERT into the audit table)."""
    entry = AuditEvent(**fields)
    entry.changes = _plain_json(entry.changes or {})
    entry.detail = _plain_json(entry.detail or {})
    # No savepoint: inside a service's transaction the entry commits or rolls back with it.
    with transaction.atomic(savepoint=False):
        moved = _advance(entry)
        if moved is None:
            _start_head()
            moved = _advance(entry)
        if moved is None:  # pragma: no cover - the head row was just created
            raise RuntimeError("The audit chain's head row is missing.")
        entry_id, entry.sequence, entry.prev_hash, entry.hash = moved
        if entry_id:
            entry.pk = entry_id
            entry._state.adding = False
            entry._state.db = connection.alias
        else:
            entry.save(force_insert=True)
    return entry


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a reverse proxy that appends to
    X-Forwarded-For (``FUSIONTRACK_TRUSTED_PROXIES`` = how many), the address that proxy saw."""
    if request is None:
        return None
    proxies = getattr(settings, "FUSIONTRACK_TRUSTED_PROXIES", 0)
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return _normal_ip(hops[-proxies])
    return _normal_ip(request.META.get("REMOTE_ADDR"))


def _client(request: HttpRequest | None) -> tuple[str | None, str, str]:
    if request is None:
        return None, "", ""
    ip = client_ip(request)
    agent = _clean_text(request.META.get("HTTP_USER_AGENT", ""), 300)
    return ip, agent, _clean_text(request.path, 300)


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
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit entry about a record (``request`` None: the CLI, background jobs)."""
    return record_event(
        request,
        action,
        obj._meta.model_name or type(obj).__name__.lower(),
        str(obj.pk or ""),
        patient_id=patient_id,
        site_id=site_id,
        role=role,
        changes=changes,
        reason=reason,
        user=user,
        detail=detail,
    )


def record_event(
    request: HttpRequest | None,
    action: str,
    object_type: str,
    object_id: str = "",
    *,
    patient_id: int | None = None,
    site_id: int | None = None,
    role: str = "",
    changes: Changes | None = None,
    reason: str = "",
    user: Any = None,
    username: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit entry about anything (a log-in, a list page, an export).

    ``username`` names the actor when there is no user object (a failed log-in for a name
    that may not exist).
    """
    actor = user if user is not None else getattr(request, "user", None)
    authenticated = actor is not None and actor.is_authenticated
    ip, agent, path = _client(request)
    return _append(
        at=timezone.now(),
        user_id_ref=actor.pk if authenticated else None,
        username=_clean_text(actor.get_username() if authenticated else username, 150),
        role=role,
        action=action,
        object_type=object_type[:60],
        object_id=str(object_id)[:40],
        patient_id_ref=patient_id,
        site_id_ref=site_id,
        changes=changes or {},
        reason=_clean_text(reason, 300),
        ip_address=ip,
        user_agent=agent,
        path=path,
        detail=detail or {},
    )


def replay(object_type: str, object_id: str) -> dict[str, Any]:
    """A record's fields rebuilt from its audit entries alone (create, then every update's new
    values); {} after a delete. A create entry lists the fields that were not empty, so a field
    missing here was None. Proves an update never loses the old value (checklist B2)."""
    state: dict[str, Any] = {}
    entries = AuditEvent.objects.filter(
        object_type=object_type, object_id=object_id, action__in=["create", "update", "delete"]
    ).order_by("sequence")
    for entry in entries:
        if entry.action == "delete":
            state = {}
            continue
        for name, (_old, new) in entry.changes.items():
            state[name] = new
    return state


@dataclass(frozen=True)
class ChainBreak:
    """The first entry where the chain does not hold, and why."""

    sequence: int
    entry_id: int | None
    problem: str

    def __str__(self) -> str:
        return f"audit entry #{self.sequence} (id {self.entry_id}): {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken: ChainBreak | None
    #: Hash of the last entry checked: keep it outside the database (with each backup) to
    #: detect a rewrite or truncation of the chain's tail later.
    head: str = ""

    @property
    def ok(self) -> bool:
        return self.broken is None


def _entries(chunk_size: int = 5000) -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("sequence", "id").iterator(chunk_size=chunk_size)


def verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first gap, repeat, broken link or bad hash,
    and entries missing from the end (the head row remembers the last one)."""
    report = verify_entries(_entries())
    head = AuditChainHead.objects.filter(id=1).values("sequence", "hash").first()
    if (
        report.ok
        and head is not None
        and (head["sequence"], head["hash"])
        != (
            report.entries,
            report.head,
        )
    ):
        problem = (
            f"the chain ends at entry #{report.entries} but its head row records entry "
            f"#{head['sequence']} (entries removed from the end, or the head row edited)"
        )
        return ChainReport(report.entries, ChainBreak(head["sequence"], None, problem))
    return report


def verify_entries(entries: Iterable[Any]) -> ChainReport:
    """The same check over any entries in sequence order (model rows, or rows read from a
    backup file with the same attribute names: ``at`` an aware datetime, JSON as dicts)."""
    expected_sequence, prev_hash, count = 1, "", 0
    for entry in entries:
        count += 1
        entry_id = getattr(entry, "pk", None) or getattr(entry, "id", None)
        if entry.sequence != expected_sequence:
            problem = (
                f"sequence jumps from {expected_sequence - 1} to {entry.sequence} "
                "(entries missing or inserted)"
            )
            return ChainReport(count, ChainBreak(entry.sequence, entry_id, problem))
        if entry.prev_hash != prev_hash:
            problem = "prev_hash does not match the previous entry's hash (entry replaced)"
            return ChainReport(count, ChainBreak(entry.sequence, entry_id, problem))
        if entry_hash(entry) != entry.hash:
            problem = "content does not match its hash (entry edited)"
            return ChainReport(count, ChainBreak(entry.sequence, entry_id, problem))
        expected_sequence, prev_hash = entry.sequence + 1, entry.hash
    return ChainReport(count, None, prev_hash)
