"""The REST API: OpenAPI document, endpoints, one error shape, audit, site and role scoping."""

from __future__ import annotations

import datetime as dt

import pytest

from fusiontrack.registry.models import AuditEvent, Complication, Patient, QuestionnaireResponse
from tests.conftest import build_patient
from tests.interop_helpers import auth, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sofia(personas):
    return auth(token_for(personas.sofia, personas.north, "write"))


def post(client, url, data, headers):
    return client.post(url, data, content_type="application/json", **headers)


def test_openapi_document_lists_every_endpoint(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "fusiontrack API"
    paths = set(spec["paths"])
    assert {
        "/api/patients",
        "/api/patients/{patient_id}",
        "/api/patients/{patient_id}/episodes",
        "/api/episodes/{episode_id}",
        "/api/episodes/{episode_id}/operations",
        "/api/episodes/{episode_id}/complications",
        "/api/episodes/{episode_id}/responses",
        "/api/episodes/{episode_id}/scores",
        "/api/episodes/{episode_id}/schedule",
        "/api/responses/{response_id}",
        "/api/cohort/{site_code}/outcomes",
        "/api/tokens",
        "/api/tokens/{token_id}",
    } <= paths


def test_list_and_read_patients_are_audited(client, anna, sofia):
    listed = client.get("/api/patients", **sofia).json()
    assert listed["count"] == 1
    assert listed["items"][0]["mrn"] == "N-1001"
    assert listed["items"][0]["site"] == "north"
    one = client.get(f"/api/patients/{anna.patient.pk}", **sofia).json()
    assert one["family_name"] == "Berg"
    reads = AuditEvent.objects.filter(action="read", object_type="patient", username="sofia")
    assert reads.count() == 2


def test_create_patient_then_conflict_on_same_mrn(client, personas, sofia):
    body = {
        "site": "north",
        "mrn": "N-3001",
        "given_name": "Noor",
        "family_name": "Aziz",
        "date_of_birth": "1966-07-01",
        "sex": "female",
    }
    created = post(client, "/api/patients", body, sofia)
    assert created.status_code == 201
    assert Patient.objects.get(mrn="N-3001").given_name == "Noor"
    again = post(client, "/api/patients", body, sofia)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_validation_errors_use_the_one_error_shape(client, personas, sofia):
    response = post(client, "/api/patients", {"site": "north", "mrn": "", "colour": 1}, sofia)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    fields = {f["field"] for f in error["fields"]}
    assert {"body.mrn", "body.colour", "body.given_name"} <= fields


def test_episode_operation_complication_response_flow(client, anna, sofia, today):
    episode = post(
        client,
        f"/api/patients/{anna.patient.pk}/episodes",
        {"title": "L5–S1 ALIF", "opened_on": today.isoformat()},
        sofia,
    )
    assert episode.status_code == 201
    episode_id = episode.json()["id"]
    operation = post(
        client,
        f"/api/episodes/{episode_id}/operations",
        {"operation_date": today.isoformat(), "levels": "L5-S1", "approach": "alif"},
        sofia,
    )
    assert operation.status_code == 201
    schedule = client.get(f"/api/episodes/{episode_id}/schedule", {"as_of": today}, **sofia).json()
    assert [f["timepoint"] for f in schedule["follow_ups"]][:2] == ["baseline", "6w"]
    assert schedule["surgery_date"] == today.isoformat()
    complication = post(
        client,
        f"/api/episodes/{episode_id}/complications",
        {"occurred_on": today.isoformat(), "category": "durotomy", "clavien_dindo": "I"},
        sofia,
    )
    assert complication.status_code == 201
    assert Complication.objects.filter(episode_id=episode_id).count() == 1
    response = post(
        client,
        f"/api/episodes/{episode_id}/responses",
        {
            "instrument_id": "nrs",
            "timepoint": "baseline",
            "responded_on": (today - dt.timedelta(days=1)).isoformat(),
            "answers": {"nrs_back": 6, "nrs_leg": 8},
        },
        sofia,
    )
    assert response.status_code == 201
    assert response.json()["scores"] == {"nrs_back": 6, "nrs_leg": 8}
    scores = client.get(f"/api/episodes/{episode_id}/scores", **sofia).json()
    assert sorted(s["measure"] for s in scores) == ["nrs_back", "nrs_leg"]


def test_bad_answer_is_a_422_naming_the_item(client, anna, sofia, today):
    response = post(
        client,
        f"/api/episodes/{anna.episode.pk}/responses",
        {
            "instrument_id": "odi",
            "timepoint": "24m",
            "responded_on": today.isoformat(),
            "answers": {"odi_1": 9},
        },
        sofia,
    )
    assert response.status_code == 422
    assert "odi_1" in response.json()["error"]["message"]
    unknown = post(
        client,
        f"/api/episodes/{anna.episode.pk}/responses",
        {
            "instrument_id": "odi",
            "timepoint": "24m",
            "responded_on": today.isoformat(),
            "answers": {"odi_11": 1},
        },
        sofia,
    )
    assert unknown.json()["error"]["fields"] == [
        {"field": "body.answers.odi_11", "message": "unknown item"}
    ]
    assert QuestionnaireResponse.objects.filter(timepoint="24m").count() == 0


@pytest.mark.parametrize(
    ("persona", "status"),
    [("sofia", 200), ("omar", 200), ("pia", 200), ("kim", 404), ("rhea", 403), ("ada", 200)],
)
def test_patient_read_by_persona(client, personas, anna, persona, status):
    site = personas.south if persona == "kim" else personas.north
    token = token_for(getattr(personas, persona), site)
    response = client.get(f"/api/patients/{anna.patient.pk}", **auth(token))
    assert response.status_code == status
    if status != 200:
        assert set(response.json()) == {"error"}


def test_anonymous_and_bad_tokens_get_401(client, anna):
    assert client.get("/api/patients").status_code == 401
    response = client.get("/api/patients", HTTP_AUTHORIZATION="Bearer ft_nope_nope")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Unknown API token."


def test_read_token_cannot_write(client, personas, anna, today):
    token = token_for(personas.sofia, personas.north, "read")
    response = post(
        client,
        f"/api/patients/{anna.patient.pk}/episodes",
        {"opened_on": today.isoformat()},
        auth(token),
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["error"]["message"]


def test_physiotherapist_may_add_responses_but_not_operations(client, personas, anna, today):
    pia = auth(token_for(personas.pia, personas.north, "write"))
    operation = post(
        client,
        f"/api/episodes/{anna.episode.pk}/operations",
        {"operation_date": today.isoformat(), "levels": "L4-L5", "approach": "tlif"},
        pia,
    )
    assert operation.status_code == 403


def test_cohort_aggregates_for_a_researcher_hold_no_identifiers(client, personas, today):
    for i in range(6):
        record = build_patient(
            personas.north, personas.sofia, mrn=f"N-{i}", family=f"Fam{i}", today=today
        )
        record.patient.consent_research = i != 5  # one without research consent
        record.patient.save()
    token = token_for(personas.rhea, personas.north)
    body = client.get("/api/cohort/north/outcomes", {"measure": "odi"}, **auth(token)).json()
    cells = {c["timepoint"]: c for c in body["cells"]}
    assert cells["baseline"]["n"] == 5
    assert cells["baseline"]["median"] == 46.0
    text = str(body)
    assert "Fam" not in text and "N-0" not in text
    assert client.get("/api/patients", **auth(token)).status_code == 403


def test_small_cells_are_suppressed(client, personas, anna):
    token = token_for(personas.sofia, personas.north)
    body = client.get("/api/cohort/north/outcomes", {"measure": "odi"}, **auth(token)).json()
    assert all(c["suppressed"] and c["median"] is None for c in body["cells"])
    assert body["min_cell"] == 5


def test_out_of_range_ids_and_nul_bytes_are_not_server_errors(client, anna, sofia):
    assert client.get(f"/api/patients/{2**70}", **sofia).status_code in {404, 422}
    body = {
        "site": "north",
        "mrn": "N-\x00",
        "given_name": "A",
        "family_name": "B",
        "date_of_birth": "1970-01-01",
        "sex": "male",
    }
    assert post(client, "/api/patients", body, sofia).status_code < 500


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/nope", 404),
        ("get", "/api/", 404),
        ("post", "/api/patients/1/nothing", 404),
        ("delete", "/api/patients", 405),
        ("put", "/api/episodes/1/scores", 405),
    ],
)
def test_unknown_paths_and_methods_use_the_one_error_shape(client, sofia, method, url, status):
    response = getattr(client, method)(url, **sofia)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["status"] == status
    if status == 405:
        assert response.json()["error"]["code"] == "method_not_allowed"
        assert "GET" in response["Allow"]


def test_a_huge_offset_is_a_clear_validation_error_not_a_server_error(client, anna, sofia):
    response = client.get("/api/patients?offset=9223372036854775806", **sofia)
    assert response.status_code == 422
    assert "error" in response.json()
    assert client.get("/api/patients?offset=1000000000", **sofia).json()["items"] == []
