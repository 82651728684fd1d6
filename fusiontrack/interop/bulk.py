"""Bulk inserts of plain rows: PostgreSQL COPY when available, bulk_create elsewhere (SQLite).

Rows are dicts of field attnames (``patient_id``, not ``patient``); fields a row leaves out get
the model's default, auto timestamps get now. On PostgreSQL the primary keys come from the
table's sequence first and rows go in with COPY: no Django model instance is built (at
300,000 rows instantiating models alone costs ~10 s), which is what lets an import reach
thousands of responses per second (benchmarks/interop_bench.py). Columns are read from the model,
so a field added later is written too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

_MISSING = object()


def _column_plan(model: type[models.Model]) -> list[tuple[str, bool, Any]]:
    """(attname, is JSON, default or _MISSING) per concrete non-pk field."""
    now = timezone.now()
    plan = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            default: Any = now
        elif field.has_default() or field.null:
            default = field.get_default()
        else:
            default = _MISSING
        plan.append((field.attname, isinstance(field, models.JSONField), default))
    return plan


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]], batch: int) -> list[int]:
    """Insert ``rows``; returns their new primary keys in order."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = model._default_manager.bulk_create([model(**row) for row in rows], batch_size=batch)
        return [obj.pk for obj in objs]
    table = model._meta.db_table
    pk = model._meta.pk
    plan = _column_plan(model)
    dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
    columns = [pk.column] + [_column(model, attname) for attname, _, _ in plan]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(rows)],
        )
        ids = [value for (value,) in cursor.fetchall()]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with (
            cursor.connection.cursor() as pg,
            pg.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
        ):
            for new_id, row in zip(ids, rows, strict=True):
                values = [new_id]
                for attname, is_json, default in plan:
                    value = row.get(attname, default)
                    if value is _MISSING:
                        raise ValueError(f"{model.__name__}.{attname} has no value and no default")
                    values.append(dumps(value) if is_json else value)
                copy.write_row(values)
    return ids


def _column(model: type[models.Model], attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.column
    raise KeyError(attname)
