"""Load the cohort snapshot in the background when a server process starts serving.

Why: the first dashboard view of a process builds the in-memory snapshot (several seconds on a
100,000-patient registry, see ``snapshot.py``); warming it in a daemon thread at start-up means
no user pays for it. Only for serving processes (gunicorn workers, ``runserver``'s serving
child), never in tests or management commands. Under ``fusiontrack.gunicorn_conf`` the master
warms once before forking its workers instead (`warm_before_fork`).
``FUSIONTRACK_INSIGHT_WARM_ON_START`` (on/off) overrides the default: on for
``FUSIONTRACK_ENV`` demo and production, off otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence

log = logging.getLogger(__name__)

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


def enabled(environ: Mapping[str, str]) -> bool:
    """The setting, or its default for the environment (on for demo and production)."""
    raw = environ.get("FUSIONTRACK_INSIGHT_WARM_ON_START")
    if raw is None:
        return environ.get("FUSIONTRACK_ENV", "development") in {"demo", "production"}
    value = raw.strip().lower()
    if value not in TRUE | FALSE:
        log.warning("FUSIONTRACK_INSIGHT_WARM_ON_START=%r is not on/off; not warming", raw)
    return value in TRUE


def serving(argv: Sequence[str], environ: Mapping[str, str], modules: Mapping[str, object]) -> bool:
    """True in a gunicorn worker or in runserver's serving process (not its autoreloader)."""
    if "pytest" in modules:
        return False
    program = os.path.basename(argv[0]) if argv else ""
    if "gunicorn" in program or "gunicorn.arbiter" in modules:
        return True
    if "runserver" in argv:
        return environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    return False


def warm(as_of: dt.date) -> None:
    """Build the all-sites snapshot (every user's cohort is cut out of it); log, never raise
    (a missing table or database only means the first view loads it itself). ``as_of`` also
    prepares today's all-sites staff view."""
    try:
        from fusiontrack.insight import snapshot
        from fusiontrack.registry.models import Site

        site_ids = tuple(Site.objects.order_by("pk").values_list("pk", flat=True))
        if site_ids:
            snapshot.full_cohort(site_ids, as_of)
            log.info("cohort snapshot warmed for %d sites", len(site_ids))
    except Exception:  # best effort: the first request loads the snapshot itself
        log.warning("could not warm the cohort snapshot", exc_info=True)


def _warm_in_thread(as_of: dt.date) -> None:
    from django.db import connection

    try:
        warm(as_of)
    finally:
        connection.close()  # this thread's own connection


def warm_before_fork() -> None:
    """In a preloading gunicorn master (``fusiontrack.gunicorn_conf``): warm synchronously when
    enabled, then close every database connection so no forked worker shares one."""
    from django.db import connections
    from django.utils import timezone

    try:
        if enabled(os.environ):
            warm(timezone.localdate())
    finally:
        connections.close_all()


def start_if_serving(as_of: dt.date) -> threading.Thread | None:
    """Start `warm` in a daemon thread when this process serves and warming is enabled (not in
    a preloading gunicorn master, which warms before forking: `warm_before_fork`)."""
    if os.environ.get("FUSIONTRACK_INSIGHT_WARM_IN_MASTER") == "1":
        return None
    if not (enabled(os.environ) and serving(sys.argv, os.environ, sys.modules)):
        return None
    thread = threading.Thread(
        target=_warm_in_thread, args=(as_of,), name="insight-warmup", daemon=True
    )
    thread.start()
    return thread
