"""Bulk inserts: PostgreSQL COPY when available, Django's bulk_create elsewhere (SQLite).

COPY is several times faster than multi-row INSERT for 100,000-row imports (measured in
benchmarks/interop_bench.py). Primary keys are taken from the table's sequence first, so the
caller gets the ids it needs for child rows, exactly as bulk_create would give them.
Columns are read from the model, so a field added later (with a default) is written too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _converter(field: models.Field, now: Any) -> Callable[[models.Model], Any]:
    name = field.attname
    if isinstance(field, models.JSONField):
        dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
        return lambda obj: dumps(getattr(obj, name))
    if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
        return lambda obj: getattr(obj, name) or now
    return lambda obj: getattr(obj, name)


def insert(model: type[models.Model], objs: Sequence[models.Model], batch_size: int) -> None:
    """Insert ``objs`` and set their primary keys."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    table = model._meta.db_table
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objs)],
        )
        for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, value)
        now = timezone.now()
        fields = model._meta.concrete_fields
        convert = [_converter(f, now) for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        raw = cursor.connection  # the psycopg connection, inside Django's transaction
        with raw.cursor() as pg, pg.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([c(obj) for c in convert])
