"""gunicorn settings for fusiontrack: ``gunicorn -c python:fusiontrack.gunicorn_conf
fusiontrack.wsgi`` (``fusiontrack demo`` uses it; production should too).

Why: the cohort dashboard works from an in-memory snapshot of the registry (seconds to load at
100,000 patients). With ``preload_app`` the master imports the app, loads the snapshot once in
``when_ready`` and closes its database connections; every worker is forked with the snapshot
already in memory (shared copy-on-write), and brings it up to date from the change log on its
first view. So no user waits for a load after a start or a worker restart, and N workers do not
each load it. Memory: the workers share the master's copy only until their first patch from
the change log; plan for one snapshot per worker plus the master's (about 1–2 GB each at
100,000 patients, see ``make bench``). Other gunicorn settings come from the command line.
"""

from __future__ import annotations

import os
from typing import Any

#: Tells ``insight.warmup`` that the master warms before forking (no warm-up thread: threads
#: do not survive a fork and a held lock would).
os.environ["FUSIONTRACK_INSIGHT_WARM_IN_MASTER"] = "1"

preload_app = True


def when_ready(server: Any) -> None:
    """In the master, after the app is loaded and before workers are forked."""
    import gc

    from fusiontrack.insight.warmup import warm_before_fork

    warm_before_fork()
    gc.freeze()  # keep the snapshot's objects out of collections, so forks share more pages


def post_worker_init(worker: Any) -> None:
    """In each new worker: a worker started long after the master (restarted, or after a
    HUP) reloads an inherited snapshot past its expiry in the background."""
    from fusiontrack.insight.snapshot import refresh_if_old

    refresh_if_old()
