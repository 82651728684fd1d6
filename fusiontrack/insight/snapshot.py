"""The unfiltered cohort of a set of sites, loaded once and kept in memory; filters are pandas
masks on it.

Why: loading a 100,000-patient registry (millions of Score rows) takes seconds even with COPY,
while masking the loaded frames takes milliseconds, so every filter combination after the first
is fast. Freshness: any save or delete of a registry record in this process clears the cache
(signals, see `apps.py`), and entries expire after ``FUSIONTRACK_INSIGHT_CACHE_SECONDS``
(default 300) so other processes' writes show within that time. Bulk loads that bypass signals
(the demo loader) are covered by the expiry.
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
_CACHE: dict[tuple[tuple[int, ...], dt.date, bool], tuple[float, CohortData]] = {}
#: How many site-set/day snapshots to keep (each is one registry's frames).
MAX_ENTRIES = 4


def ttl_seconds() -> float:
    return float(os.environ.get("FUSIONTRACK_INSIGHT_CACHE_SECONDS", "300"))


def invalidate(*_: Any, **__: Any) -> None:
    """Forget every snapshot (connected to the registry's post_save / post_delete)."""
    with _LOCK:
        _CACHE.clear()


def full_cohort(site_ids: Sequence[int], as_of: dt.date, *, research: bool = False) -> CohortData:
    key = (tuple(sorted(site_ids)), as_of, research)
    now = time.monotonic()
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and now - hit[0] < ttl_seconds():
            return hit[1]
    data = load_cohort(key[0], CohortFilter(), as_of=as_of, research=research)
    with _LOCK:
        if len(_CACHE) >= MAX_ENTRIES:
            _CACHE.pop(min(_CACHE, key=lambda k: _CACHE[k][0]))
        _CACHE[key] = (now, data)
    return data


def cohort(
    site_ids: Sequence[int], filters: CohortFilter, as_of: dt.date, *, research: bool = False
) -> CohortData:
    """The filtered cohort, from the in-memory snapshot."""
    return full_cohort(site_ids, as_of, research=research).restrict(filters)
