"""Fuzzing the HTML form endpoints (issue 6 §8): 2,000 generated POSTs, zero 5xx.

Every registry form (patient, episode, stage, each record kind, each instrument's staff
entry, the amendment form), the log-in and the MFA form get hypothesis-generated values for the
fields their page actually renders, plus unknown extra fields: odd unicode, NUL, huge numbers,
impossible dates, SQL and markup. A 4xx or a form page with errors is fine; a 5xx is a bug.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusiontrack.registry.kinds import KINDS
from fusiontrack.registry.models import Complication, QuestionnaireResponse

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security_urls")]

REQUESTS = 2000
FIELD = re.compile(rb'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')
NASTY = [
    "",
    "0",
    "-1",
    "1e309",
    "NaN",
    "-0",
    "99999999999999999999999",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "31/12/2025",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "\x00",
    "\u202e\u0000\ud7ff",
    "A" * 5000,
    "on",
    "true",
]
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(lambda d: d.isoformat()),
)


def _fields(client: Client, url: str) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200, url
    names = {m.decode() for m in FIELD.findall(page.content)} - {"csrfmiddlewaretoken"}
    return sorted(names)


@pytest.fixture
def targets(personas, anna, today):  # type: ignore[no-untyped-def]
    from fusiontrack.core.instruments import INSTRUMENTS

    complication = Complication.objects.create(
        episode=anna.episode, occurred_on=today, category="durotomy", clavien_dindo="I"
    )
    response = QuestionnaireResponse.objects.filter(episode=anna.episode).first()
    client = Client()
    client.force_login(personas.sofia)
    e, p = anna.episode.pk, anna.patient.pk
    urls = [
        reverse("registry:patient_create") + f"?site={personas.north.pk}",
        reverse("registry:patient_edit", args=[p]),
        reverse("registry:episode_create", args=[p]),
        reverse("registry:episode_edit", args=[e]),
        reverse("registry:record_edit", args=["complication", complication.pk]),
        reverse("registry:response_edit", args=[response.pk]),
        reverse("security:mfa"),
        *[reverse("registry:record_create", args=[e, slug]) for slug in KINDS],
        *[reverse("registry:response_create", args=[e]) + f"?instrument={i}" for i in INSTRUMENTS],
    ]
    forms = [(url, _fields(client, url)) for url in urls]
    forms.append((reverse("registry:stage_change", args=[e]), ["stage", "entered_on", "note"]))
    forms.append((reverse("login"), ["username", "password"]))
    return client, forms


def test_generated_form_posts_never_cause_a_server_error(targets):
    client, forms = targets
    seen: list[tuple[str, int]] = []

    @settings(
        max_examples=REQUESTS,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def post_one(data: st.DataObject) -> None:
        url, fields = data.draw(st.sampled_from(forms), label="form")
        chosen = data.draw(st.lists(st.sampled_from(fields), unique=True), label="fields")
        payload = {name: data.draw(VALUES, label=name) for name in chosen}
        if data.draw(st.booleans(), label="extra"):
            payload[data.draw(st.text(min_size=1, max_size=10))] = data.draw(VALUES)
        response = client.post(url, payload)
        seen.append((url, response.status_code))
        assert response.status_code < 500, (url, payload)

    client.raise_request_exception = False
    post_one()
    assert len(seen) >= REQUESTS
    assert not [s for s in seen if s[1] >= 500]
    assert len({url for url, _ in seen}) == len(forms)  # every form was hit
    print(f"form fuzzing: {len(seen)} requests to {len(forms)} forms, 0 server errors")
