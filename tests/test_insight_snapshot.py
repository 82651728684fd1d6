"""The in-memory cohort snapshot's expiry: an expired entry is served once more while a
background thread reloads it (fusiontrack.insight.snapshot)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from fusiontrack.insight import snapshot

AS_OF = dt.date(2026, 11, 24)
KEY = ((1, 2), AS_OF, False)


@pytest.fixture
def loads(monkeypatch):
    """Replace the SQL load by numbered stand-ins; record each load."""
    calls: list[int] = []
    done = threading.Event()

    def fake_load(site_ids, filters, *, as_of, research):
        calls.append(len(calls) + 1)
        done.set()
        return f"load {len(calls)}"

    monkeypatch.setattr(snapshot, "load_cohort", fake_load)
    monkeypatch.setenv("FUSIONTRACK_INSIGHT_CACHE_SECONDS", "300")
    snapshot.invalidate()
    yield calls, done
    snapshot.invalidate()


def _age(seconds: float) -> None:
    _stamp, data = snapshot._CACHE[KEY]
    snapshot._CACHE[KEY] = (time.monotonic() - seconds, data)


def test_fresh_entry_is_reused(loads):
    calls, _ = loads
    assert snapshot.full_cohort([2, 1], AS_OF) == "load 1"
    assert snapshot.full_cohort([1, 2], AS_OF) == "load 1"
    assert calls == [1]


def test_expired_entry_is_served_while_reloaded_in_background(loads):
    calls, done = loads
    snapshot.full_cohort([1, 2], AS_OF)
    done.clear()
    _age(301)
    assert snapshot.full_cohort([1, 2], AS_OF) == "load 1"  # stale, no wait
    assert done.wait(5)
    for _ in range(50):
        if not snapshot._REFRESHING:
            break
        time.sleep(0.02)
    assert snapshot.full_cohort([1, 2], AS_OF) == "load 2"
    assert calls == [1, 2]


def test_entry_older_than_twice_the_expiry_is_reloaded_before_answering(loads):
    calls, _ = loads
    snapshot.full_cohort([1, 2], AS_OF)
    _age(601)
    assert snapshot.full_cohort([1, 2], AS_OF) == "load 2"
    assert calls == [1, 2]


def test_invalidate_forgets_the_snapshot(loads):
    snapshot.full_cohort([1, 2], AS_OF)
    snapshot.invalidate()
    assert snapshot.full_cohort([1, 2], AS_OF) == "load 2"
