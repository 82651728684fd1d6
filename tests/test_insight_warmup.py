"""Warming the cohort snapshot when a server process starts (fusiontrack.insight.warmup)."""

from __future__ import annotations

import datetime as dt

import pytest

from fusiontrack.insight import snapshot, warmup
from tests.conftest import build_patient

AS_OF = dt.date(2026, 11, 24)


@pytest.fixture(autouse=True)
def fresh_snapshot():
    snapshot.invalidate()
    yield
    snapshot.invalidate()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"FUSIONTRACK_ENV": "development"}, False),
        ({"FUSIONTRACK_ENV": "demo"}, True),
        ({"FUSIONTRACK_ENV": "production"}, True),
        ({"FUSIONTRACK_ENV": "production", "FUSIONTRACK_INSIGHT_WARM_ON_START": "off"}, False),
        ({"FUSIONTRACK_ENV": "development", "FUSIONTRACK_INSIGHT_WARM_ON_START": "1"}, True),
        ({"FUSIONTRACK_ENV": "demo", "FUSIONTRACK_INSIGHT_WARM_ON_START": "maybe"}, False),
    ],
)
def test_enabled_defaults_on_for_demo_and_production(environ, expected):
    assert warmup.enabled(environ) is expected


@pytest.mark.parametrize(
    ("argv", "environ", "modules", "expected"),
    [
        (["/venv/bin/gunicorn", "fusiontrack.wsgi:application"], {}, {}, True),
        (["python", "-m", "gunicorn"], {}, {"gunicorn.arbiter": object()}, True),
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, {}, True),
        (["manage.py", "runserver"], {}, {}, False),  # the autoreloader parent
        (["manage.py", "runserver", "--noreload"], {}, {}, True),
        (["manage.py", "migrate"], {}, {}, False),
        (["fusiontrack", "cohort", "report"], {}, {}, False),
        (["/venv/bin/gunicorn"], {}, {"pytest": object()}, False),
    ],
)
def test_serving_only_for_server_processes(argv, environ, modules, expected):
    assert warmup.serving(argv, environ, modules) is expected


def test_not_started_under_pytest():
    assert warmup.start_if_serving(AS_OF) is None


@pytest.mark.django_db
def test_warm_builds_the_all_sites_snapshot(personas, today):
    build_patient(personas.north, personas.sofia, mrn="N-1001", today=today)
    warmup.warm(today)
    sites = tuple(sorted([personas.north.pk, personas.south.pk]))
    key = (sites, today, False)
    assert snapshot._STATE.base is not None
    assert key in snapshot._STATE.scoped
    assert len(snapshot._STATE.scoped[key].episodes) == 1
