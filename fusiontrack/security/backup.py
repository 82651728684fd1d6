"""`fusiontrack backup` / `fusiontrack restore` with a verify step (issue 6 §7).

SQLite: the online backup API (a consistent copy while the server keeps running). PostgreSQL:
``pg_dump --format=custom`` and ``pg_restore``. Verification never trusts the copy: a SQLite
backup is checked with ``PRAGMA integrity_check``; a PostgreSQL dump is restored into a scratch
database. Either way the row count of every table and the audit hash chain are read from the
copy itself. ``restore`` verifies the backup first, replaces the database, then checks that the
live database has the same row counts and an intact chain.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.db import connection

from fusiontrack.registry.audit import HASHED_FIELDS, ChainReport, verify_chain, verify_entries

AUDIT_TABLE = "registry_auditevent"
AUDIT_COLUMNS = ("id", "hash", *HASHED_FIELDS)


log = logging.getLogger(__name__)


class BackupError(Exception):
    """The backup or restore failed or did not verify; the message says what to do."""


@dataclass(frozen=True)
class BackupReport:
    tables: dict[str, int]
    chain: ChainReport

    def __str__(self) -> str:
        rows = sum(self.tables.values())
        return (
            f"{len(self.tables)} tables, {rows} rows, audit chain intact "
            f"({self.chain.entries} entries, head {self.chain.entries}:{self.chain.head})"
        )


def _checked(tables: dict[str, int], chain: ChainReport, where: str) -> BackupReport:
    if not chain.ok:
        raise BackupError(f"{where}: audit chain broken at {chain.broken}.")
    return BackupReport(tables, chain)


def _audit_row(values: dict[str, Any]) -> SimpleNamespace:
    at = values["at"]
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    row = dict(values, at=at)
    for name in ("changes", "detail"):
        if isinstance(row[name], str):
            row[name] = json.loads(row[name])
    row["ip_address"] = str(row["ip_address"]) if row["ip_address"] is not None else None
    return SimpleNamespace(**row)


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # noqa: S608


def _sqlite_audit_rows(db: sqlite3.Connection) -> Iterator[SimpleNamespace]:
    cols = ", ".join(f'"{c}"' for c in AUDIT_COLUMNS)
    cursor = db.execute(f"SELECT {cols} FROM {AUDIT_TABLE} ORDER BY sequence, id")  # noqa: S608
    for record in cursor:
        yield _audit_row(dict(zip(AUDIT_COLUMNS, record, strict=True)))


def inspect_sqlite(path: Path) -> BackupReport:
    """Integrity, row counts and audit chain of a SQLite file (opened read-only)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open it as SQLite ({exc}).") from exc
    try:
        status = db.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"{path}: SQLite integrity check failed: {status}")
        return _checked(
            _sqlite_tables(db), verify_entries(_sqlite_audit_rows(db)), f"backup {path}"
        )
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a fusiontrack SQLite backup ({exc}).") from exc
    finally:
        db.close()


def _live_sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    return connection.connection  # type: ignore[return-value]


def _sqlite_backup(path: Path) -> BackupReport:
    partial = path.with_name(path.name + ".partial")
    dest = sqlite3.connect(partial)
    try:
        _live_sqlite().backup(dest)
    finally:
        dest.close()
    os.replace(partial, path)
    return inspect_sqlite(path)


def _sqlite_restore(path: Path) -> BackupReport:
    expected = inspect_sqlite(path)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        source.backup(_live_sqlite())
    finally:
        source.close()
    live = _sqlite_tables(_live_sqlite())
    return _compare(expected, live)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_args(dbname: str | None = None) -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = []
    if s.get("HOST"):
        args += ["-h", s["HOST"]]
    if s.get("PORT"):
        args += ["-p", str(s["PORT"])]
    if s.get("USER"):
        args += ["-U", s["USER"]]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return [*args, "-d", dbname or s["NAME"]], env


def _run(tool: str, *args: str, dbname: str | None = None, with_db: bool = True) -> None:
    exe = shutil.which(tool)
    if exe is None:
        raise BackupError(f"{tool} not found; install the PostgreSQL client tools.")
    conn_args, env = _pg_args(dbname)
    # createdb/dropdb take the database name as their last argument, not -d.
    command = [exe, *conn_args, *args] if with_db else [exe, *conn_args[:-2], *args, dbname or ""]
    result = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, timeout=3600
    )
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[:500]}")


def _pg_connect(dbname: str) -> Any:
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        host=s.get("HOST") or None,
        port=s.get("PORT") or None,
        user=s.get("USER") or None,
        password=s.get("PASSWORD") or None,
        dbname=dbname,
    )


def _pg_tables(db: Any) -> dict[str, int]:
    with db.cursor() as cur:
        cur.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        names = [r[0] for r in cur.fetchall()]
        counts = {}
        for name in names:
            cur.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608
            counts[name] = cur.fetchone()[0]
    return counts


def _pg_audit_rows(db: Any) -> Iterator[SimpleNamespace]:
    cols = ", ".join(f'"{c}"' for c in AUDIT_COLUMNS)
    with db.cursor(name="audit_rows") as cur:
        cur.execute(f"SELECT {cols} FROM {AUDIT_TABLE} ORDER BY sequence, id")  # noqa: S608
        for record in cur:
            yield _audit_row(dict(zip(AUDIT_COLUMNS, record, strict=True)))


def inspect_pg_dump(path: Path) -> BackupReport:
    """Restore the dump into a scratch database, read counts and the chain there, drop it."""
    scratch = f"{connection.settings_dict['NAME']}_verify_{secrets.token_hex(4)}"
    _run("createdb", dbname=scratch, with_db=False)
    try:
        _run("pg_restore", "--no-owner", "--exit-on-error", str(path), dbname=scratch)
        with _pg_connect(scratch) as db:
            tables = _pg_tables(db)
            chain = verify_entries(_pg_audit_rows(db))
        return _checked(tables, chain, f"backup {path}")
    finally:
        _run("dropdb", "--if-exists", dbname=scratch, with_db=False)


def _pg_backup(path: Path) -> BackupReport:
    partial = path.with_name(path.name + ".partial")
    _run("pg_dump", "--format=custom", "--no-owner", f"--file={partial}")
    os.replace(partial, path)
    return inspect_pg_dump(path)


def _pg_restore(path: Path) -> BackupReport:
    expected = inspect_pg_dump(path)
    connection.close()
    _run(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        str(path),
    )
    with _pg_connect(connection.settings_dict["NAME"]) as db:
        live = _pg_tables(db)
    return _compare(expected, live)


# --- both ---------------------------------------------------------------------------------------


def _compare(expected: BackupReport, live: dict[str, int]) -> BackupReport:
    differ = {t: (n, live.get(t)) for t, n in expected.tables.items() if live.get(t) != n}
    if differ:
        raise BackupError(f"restore did not match the backup (table: backup, now): {differ}")
    return _checked(live, verify_chain(), "restored database")


def backup(path: Path) -> BackupReport:
    """Write a verified backup of the configured database to ``path``."""
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} does not exist; create it first.")
    if connection.vendor == "sqlite":
        return _sqlite_backup(path)
    if connection.vendor == "postgresql":
        return _pg_backup(path)
    raise BackupError(f"backups of {connection.vendor} databases are not supported.")


def restore(path: Path) -> BackupReport:
    """Replace the configured database with the verified backup at ``path``."""
    path = Path(path)
    if connection.vendor == "sqlite":
        report = _sqlite_restore(path)
    elif connection.vendor == "postgresql":
        report = _pg_restore(path)
    else:
        raise BackupError(f"restores into {connection.vendor} databases are not supported.")
    _reload_cohort_snapshots()
    return report


def _reload_cohort_snapshots() -> None:
    """Every server's in-memory cohort snapshot must reload the restored data (a restored
    change log may also be behind what they applied, which they detect as well)."""
    from django.db import DatabaseError

    from fusiontrack.insight.changes import mark_everything

    try:
        mark_everything()
    except DatabaseError:  # a backup from before the change log: the restore itself succeeded
        log.warning(
            "restored a database without the cohort change log; run `python manage.py "
            "migrate`, then restart the servers so their cohort snapshots reload"
        )
