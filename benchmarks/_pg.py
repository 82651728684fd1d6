"""PostgreSQL helpers shared by the database benchmarks."""

from __future__ import annotations

from urllib.parse import urlsplit


def recreate_database(url: str) -> bool:
    """Drop and create the database named in `url` (connecting to `postgres` on the same
    server). Prints why and returns False when the server cannot be reached."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"skipped: PostgreSQL not reachable at {admin} ({exc})")
        return False
    return True
