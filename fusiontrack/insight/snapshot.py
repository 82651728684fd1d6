"""The unfiltered cohort of a set of sites, loaded once and kept in memory; filters are pandas
masks on it.

Why: loading a 100,000-patient registry (millions of Score rows) takes seconds even with COPY,
while masking the loaded frames takes milliseconds, so every filter combination after the first
is fast. Freshness: any save or delete of a registry record in this process clears the cache
(signals, see `apps.py`), and entries expire after ``FUSIONTRACK_INSIGHT_CACHE_SECONDS``
(default 300) so other processes' writes show within that time. Bulk loads that bypass signals
(the demo loader) are covered by the expiry. An expired entry younger than twice that time is
served once more while a background thread reloads it (stale-while-revalidate), so the user
who happens to arrive after the expiry does not wait seconds for the reload.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from fusiontrack.insight.filters import CohortFilter
from fusiontrack.insight.queries import CohortData, load_cohort

_LOCK = threading.Lock()
Key = tuple[tuple[int, ...], dt.date, bool]
_CACHE: dict[Key, tuple[float, CohortData]] = {}
#: Keys being reloaded in the background, and a counter bumped by `invalidate` so a reload
#: that started before a save does not store pre-save data as fresh.
_REFRESHING: set[Key] = set()
_GENERATION = [0]
#: How many site-set/day snapshots to keep (each is one registry's frames).
MAX_ENTRIES = 4


def ttl_seconds() -> float:
    return float(os.environ.get("FUSIONTRACK_INSIGHT_CACHE_SECONDS", "300"))


def invalidate(*_: Any, **__: Any) -> None:
    """Forget every snapshot (connected to the registry's post_save / post_delete)."""
    with _LOCK:
        _CACHE.clear()
        _GENERATION[0] += 1


def full_cohort(site_ids: Sequence[int], as_of: dt.date, *, research: bool = False) -> CohortData:
    key = (tuple(sorted(site_ids)), as_of, research)
    now = time.monotonic()
    stale, refresh = None, False
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            age = now - hit[0]
            if age < ttl_seconds():
                return hit[1]
            if age < 2 * ttl_seconds():
                stale, refresh = hit[1], key not in _REFRESHING
                _REFRESHING.add(key)
        generation = _GENERATION[0]
    if stale is not None:
        if refresh:
            threading.Thread(
                target=_reload_in_background, args=(key, generation), daemon=True
            ).start()
        return stale
    return _reload(key, generation)


def _reload(key: Key, generation: int) -> CohortData:
    started = time.monotonic()
    data = load_cohort(key[0], CohortFilter(), as_of=key[1], research=key[2])
    with _LOCK:
        if generation == _GENERATION[0]:
            if key not in _CACHE and len(_CACHE) >= MAX_ENTRIES:
                _CACHE.pop(min(_CACHE, key=lambda k: _CACHE[k][0]))
            _CACHE[key] = (started, data)
    return data


def _reload_in_background(key: Key, generation: int) -> None:
    from django.db import connection

    try:
        _reload(key, generation)
    finally:
        with _LOCK:
            _REFRESHING.discard(key)
        connection.close()  # this thread's own connection


def cohort(
    site_ids: Sequence[int], filters: CohortFilter, as_of: dt.date, *, research: bool = False
) -> CohortData:
    """The filtered cohort, from the in-memory snapshot."""
    return full_cohort(site_ids, as_of, research=research).restrict(filters)
