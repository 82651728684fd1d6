"""One in-memory snapshot of every operated episode, kept current by the change log; each
user's cohort is cut out of it and filtered with pandas masks.

Why: loading a 100,000-patient registry (millions of Score rows) takes seconds even with COPY,
while masking loaded frames takes milliseconds. One all-sites snapshot (not one per set of
sites, research flag or day) serves every user: `CohortData.scope` keeps the user's sites,
the episodes operated by ``as_of`` and, for researchers, the research-consented patients.

Freshness without reloading: every save or delete of a record the cohort reads appends a row
to the change log in its own transaction (``changes.py``). On each use the snapshot reads the
change rows it has not applied (one indexed query) and reloads only those episodes, so a save
in any process shows on the next dashboard view everywhere. A full reload happens only for the
first use in a process (``warmup.py`` does it at start-up), after a bulk load
(``changes.mark_everything``) and, as a safety net for writes that bypass signals, when the
snapshot is older than ``FUSIONTRACK_INSIGHT_CACHE_SECONDS`` (default 3600): an expired snapshot
younger than twice that is served (with tracked changes applied) while a background thread
reloads it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from fusiontrack.insight import changes
from fusiontrack.insight.filters import CohortFilter
from fusiontrack.insight.queries import CohortData, load_snapshot

log = logging.getLogger(__name__)
T = TypeVar("T")

#: At a full load, change ids this far below the newest are checked for ones not visible yet:
#: on PostgreSQL a slow transaction's change row becomes visible after rows with higher ids
#: (ids are taken at insert, visibility comes at commit). After that, `changes.Cursor` tracks
#: every id still missing below the newest applied one.
LOOKBACK = 500
#: More changed episodes than this are cheaper to get by one full reload.
MAX_INCREMENTAL = 20_000
#: Scoped views (sites × day × research) kept per snapshot.
MAX_SCOPES = 32
#: Results (`memo`) kept per snapshot.
MAX_RESULTS = 64
#: Full reloads asked for by the change log (bulk loads, restores, site renames) run in the
#: background while the current snapshot is served; False loads before answering (tests).
RELOAD_IN_BACKGROUND = True
#: Change rows are kept at least this long (processes apply them within seconds).
KEEP_CHANGES = dt.timedelta(days=1)


def ttl_seconds() -> float:
    return float(os.environ.get("FUSIONTRACK_INSIGHT_CACHE_SECONDS", "3600"))


ScopeKey = tuple[tuple[int, ...], dt.date, bool]


@dataclass
class _State:
    base: CohortData | None = None
    loaded_at: float = 0.0
    #: Which change rows the snapshot contains.
    cursor: changes.Cursor = field(default_factory=changes.Cursor)
    scoped: dict[ScopeKey, CohortData] = field(default_factory=dict)
    #: Results computed from this snapshot (`memo`): dropped whenever the snapshot changes.
    results: dict[Any, Any] = field(default_factory=dict)
    generation: int = 0
    refreshing: bool = False


_STATE = _State()
#: Guards `_STATE` (short sections only).
_STATE_LOCK = threading.Lock()
#: Held while a request thread or the start-up warm-up loads from the database, so that
#: concurrent first views wait for one load instead of each running their own.
_LOAD_LOCK = threading.Lock()


def invalidate(*_: Any, **__: Any) -> None:
    """Forget the snapshot (tests; a reload in flight will not store its result)."""
    with _STATE_LOCK:
        generation = _STATE.generation + 1
        _STATE.__init__()  # type: ignore[misc]
        _STATE.generation = generation


def full_cohort(site_ids: Sequence[int], as_of: dt.date, *, research: bool = False) -> CohortData:
    """Every operated episode the user may analyse (``site_ids``; research-consented only when
    ``research``), operated by ``as_of``, from the current snapshot."""
    base = current()
    key = (tuple(sorted(int(s) for s in site_ids)), as_of, research)
    with _STATE_LOCK:
        if _STATE.base is base and key in _STATE.scoped:
            return _STATE.scoped[key]
    scoped = base.scope(key[0], as_of, research=research)
    with _STATE_LOCK:
        if _STATE.base is base:
            if len(_STATE.scoped) >= MAX_SCOPES:
                _STATE.scoped.pop(next(iter(_STATE.scoped)))
            _STATE.scoped[key] = scoped
    return scoped


def cohort(
    site_ids: Sequence[int], filters: CohortFilter, as_of: dt.date, *, research: bool = False
) -> CohortData:
    """The filtered cohort, from the in-memory snapshot."""
    return full_cohort(site_ids, as_of, research=research).restrict(filters)


def memo(data: CohortData, key: Any, compute: Callable[[], T]) -> T:
    """``compute()`` once per snapshot version for ``key`` (which must name everything the
    result depends on besides the snapshot: scope, filters, options). Why: the attrition and
    benchmarking models take seconds on a large registry and the page, its CSV downloads and
    the PDF ask for the same ones; any change to the registry starts a new snapshot version,
    so a remembered result is never stale. ``data`` is the cohort the result is computed from
    (results of an older snapshot are not stored)."""
    root = data.root_wide
    with _STATE_LOCK:
        hit = _STATE.results.get(key)
        if hit is not None and hit[0] is root:
            return hit[1]  # type: ignore[no-any-return]
    value = compute()
    with _STATE_LOCK:
        if _STATE.base is not None and _STATE.base.wide_all is root:
            if len(_STATE.results) >= MAX_RESULTS:
                _STATE.results.pop(next(iter(_STATE.results)))
            _STATE.results[key] = (root, value)
    return value


def current() -> CohortData:
    """The all-sites snapshot with every tracked change applied."""
    with _STATE_LOCK:
        base, age = _STATE.base, time.monotonic() - _STATE.loaded_at
    if base is None or age >= 2 * ttl_seconds():
        with _LOAD_LOCK:
            with _STATE_LOCK:
                base, age = _STATE.base, time.monotonic() - _STATE.loaded_at
            if base is None or age >= 2 * ttl_seconds():
                return _full_load()
    elif age >= ttl_seconds():
        _start_background_reload()
    return _apply_changes()


def _apply_changes() -> CohortData:
    with _STATE_LOCK:
        base, cursor = _STATE.base, _STATE.cursor
    assert base is not None
    news = changes.since(cursor)
    if news.empty and news.newest >= cursor.applied:  # the usual case: one query
        return base
    with _LOAD_LOCK:  # one thread patches; the others wait and reuse its result
        with _STATE_LOCK:
            base, cursor, generation = _STATE.base, _STATE.cursor, _STATE.generation
        if base is None:
            return _full_load()
        todo = changes.since(cursor)
        if todo.empty and todo.newest >= cursor.applied:
            return base
        if todo.everything or todo.newest < cursor.applied:  # bulk load, restored log
            if RELOAD_IN_BACKGROUND:
                _start_background_reload()
                return base
            return _full_load()
        episode_ids = _affected_episodes(base, todo)
        if len(episode_ids) > MAX_INCREMENTAL:
            return _full_load()
        patched = base
        if episode_ids:  # a patient without episodes changes no cohort row
            fresh = load_snapshot(episode_ids)
            patched = base.replace(episode_ids, fresh)
            _rederive(base, patched, fresh, episode_ids)
        with _STATE_LOCK:
            if _STATE.base is base and _STATE.generation == generation:
                _STATE.base = patched
                _STATE.cursor = cursor.advance(todo.ids, time.monotonic())
                if patched is not base:
                    _STATE.scoped.clear()
                    _STATE.results.clear()
            return _STATE.base if _STATE.base is not None else patched


def _affected_episodes(base: CohortData, todo: changes.Changes) -> set[int]:
    """The episodes named by the change rows, plus every episode of a changed patient (those
    in the snapshot and those in the database)."""
    from fusiontrack.registry.models import Episode

    ids = set(todo.episode_ids)
    if todo.patient_ids:
        patients = list(todo.patient_ids)
        ids |= set(base.episodes.index[base.episodes["patient_id"].isin(patients)])
        ids |= set(Episode.objects.filter(patient_id__in=patients).values_list("pk", flat=True))
    return {int(i) for i in ids}


def _rederive(old: CohortData, new: CohortData, fresh: CohortData, episode_ids: set[int]) -> None:
    """Carry the old snapshot's per-episode derived results over to the patched one: keep the
    unchanged episodes' rows and compute the reloaded episodes' (other results: recomputed on
    first use)."""
    from fusiontrack.insight.aggregates import episode_flags

    gone = pd.Index(sorted(episode_ids))
    for key, frame in list(old.derived.items()):  # other threads may add keys meanwhile
        if isinstance(key, tuple) and key[0] == "threshold_flags":
            added = episode_flags(fresh, key[1], key[2])
            kept = frame[~frame.index.isin(gone)]
            new.derived[key] = pd.concat([kept, added]) if len(added) else kept


def _full_load() -> CohortData:
    """Load everything and install it (caller holds `_LOAD_LOCK` or is the background reload)."""
    with _STATE_LOCK:
        generation = _STATE.generation
    started = time.monotonic()
    cursor = changes.cursor_at_load(LOOKBACK, started)  # later rows: applied on the next use
    data = load_snapshot()
    with _STATE_LOCK:
        if _STATE.generation == generation:
            _STATE.base, _STATE.loaded_at, _STATE.cursor = data, started, cursor
            _STATE.scoped.clear()
            _STATE.results.clear()
    log.info("cohort snapshot loaded: %d episodes", len(data.episodes))
    _prune(started)
    return data


_LAST_PRUNE = [float("-inf")]


def _prune(now: float) -> None:
    """Delete change rows older than any process could still need (best effort, at most
    hourly per process)."""
    from django.utils import timezone

    if now - _LAST_PRUNE[0] < 3600:
        return
    _LAST_PRUNE[0] = now
    keep = max(KEEP_CHANGES, dt.timedelta(seconds=3 * ttl_seconds()))
    try:
        changes.prune(timezone.now() - keep)
    except Exception:  # a read-only replica or a locked SQLite file: try next time
        log.debug("could not prune the cohort change log", exc_info=True)


def _start_background_reload() -> None:
    with _STATE_LOCK:
        if _STATE.refreshing:
            return
        _STATE.refreshing = True
    threading.Thread(target=_reload_in_background, name="insight-reload", daemon=True).start()


def _reload_in_background() -> None:
    from django.db import connection

    try:
        _full_load()
    except Exception:
        log.warning("background reload of the cohort snapshot failed", exc_info=True)
    finally:
        with _STATE_LOCK:
            _STATE.refreshing = False
        connection.close()  # this thread's own connection


def warm() -> None:
    """Load the snapshot now unless loaded (start-up warm-up; waits for a load in flight)."""
    current()


def refresh_if_old() -> None:
    """In a worker forked from a preloading master: the inherited snapshot may be old (a
    worker restarted hours after start-up); reload it in the background past the expiry."""
    with _STATE_LOCK:
        base, age = _STATE.base, time.monotonic() - _STATE.loaded_at
        _STATE.refreshing = False  # a reload thread of the master did not survive the fork
    if base is not None and age >= ttl_seconds():
        _start_background_reload()
