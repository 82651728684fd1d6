"""Schemathesis over the REST API's OpenAPI document (issue 6 §8, checklist E6).

Every operation in /api/openapi.json gets schema-generated requests (valid and invalid paths,
queries and bodies) in-process through the WSGI app, with Dr Lind's write token; the ids in
paths are mostly not hers or not existing. Zero 5xx allowed. The per-operation budget is sized
so the whole run makes at least 2,000 requests.
"""

from __future__ import annotations

import math

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security_urls")]

schemathesis = pytest.importorskip("schemathesis")

REQUESTS = 2000


@pytest.fixture
def keep_connection():  # type: ignore[no-untyped-def]
    """As Django's test client does: requests must not close the test's connection (and its
    transaction). Loading the schema is already a request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_generated_api_requests_never_cause_a_server_error(personas, anna, keep_connection):
    from django.core.wsgi import get_wsgi_application

    from fusiontrack.api import tokens

    secret = tokens.issue(
        None, user=personas.sofia, site=personas.north, name="fuzz", scope="write"
    ).secret
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    per_operation = math.ceil(REQUESTS / len(operations))
    sent: list[tuple[str, int]] = []

    for operation in operations:
        _fuzz(operation, per_operation, headers, sent)
    errors = [s for s in sent if s[1] >= 500]
    assert errors == []
    assert len(sent) >= REQUESTS * 0.9  # hypothesis stops early on tiny input spaces
    print(f"API fuzzing: {len(sent)} requests over {len(operations)} operations, 0 server errors")


def _fuzz(operation, examples, headers, sent):  # type: ignore[no-untyped-def]
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def call(case):  # type: ignore[no-untyped-def]
        response = case.call(headers=headers)
        sent.append((operation.label, response.status_code))
        assert response.status_code < 500, (operation.label, case.path_parameters, case.body)

    call()
