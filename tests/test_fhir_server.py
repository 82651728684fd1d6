"""The /fhir/ server: capabilities, read, search parameters and paging, QuestionnaireResponse
create, JSON-only negotiation, and who may see what (issue 6 rules on every endpoint)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fusiontrack.fhir import validate
from fusiontrack.fhir.codes import CANONICAL
from fusiontrack.registry.models import AuditEvent, QuestionnaireResponse, Score
from tests.conftest import build_patient
from tests.interop_helpers import example, fhir_get, fhir_post, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sofia_token(personas):
    return token_for(personas.sofia, personas.north, "write")


def entries(response):
    return [e["resource"] for e in response.json().get("entry", [])]


def test_metadata_is_public_and_says_r4_json(client):
    response = fhir_get(client, "metadata", None)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    statement = response.json()
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["rest"][0]["operation"][0]["name"] == "export"


def test_read_patient_is_audited(client, anna, sofia_token):
    response = fhir_get(client, f"Patient/{anna.patient.pk}", sofia_token)
    assert response.status_code == 200
    patient = response.json()
    assert patient["name"][0] == {"use": "official", "family": "Berg", "given": ["Anna"]}
    assert patient["identifier"][0]["value"] == "N-1001"
    event = AuditEvent.objects.filter(action="read", patient_id_ref=anna.patient.pk).last()
    assert event.username == "sofia"
    assert event.path == f"/fhir/Patient/{anna.patient.pk}"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("sofia", 200), ("pia", 200), ("kim", 404), ("rhea", 403), ("ada", 200)],
)
def test_read_respects_site_and_role(client, personas, anna, persona, status):
    user = getattr(personas, persona)
    site = personas.south if persona == "kim" else personas.north
    token = token_for(user, site)
    response = fhir_get(client, f"Patient/{anna.patient.pk}", token)
    assert response.status_code == status
    if status != 200:
        assert response.json()["resourceType"] == "OperationOutcome"


def test_anonymous_gets_401_operation_outcome(client, anna):
    response = fhir_get(client, f"Patient/{anna.patient.pk}", None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["issue"][0]["code"] == "login"


def test_revoked_token_is_refused(client, personas, anna):
    from fusiontrack.api import tokens
    from fusiontrack.api.models import ApiToken

    raw = token_for(personas.sofia, personas.north)
    tokens.revoke(None, ApiToken.objects.get(user=personas.sofia))
    response = fhir_get(client, "Patient", raw)
    assert response.status_code == 401
    assert "revoked" in response.json()["issue"][0]["diagnostics"]


def test_token_of_north_does_not_reach_south(client, personas, anna, today):
    """Ada is admin everywhere, but her token for South sees South only."""
    build_patient(personas.south, personas.kim, mrn="S-1", given="Lars", today=today)
    token = token_for(personas.ada, personas.south)
    names = [p["name"][0]["given"][0] for p in entries(fhir_get(client, "Patient", token))]
    assert names == ["Lars"]


def test_search_observations_by_patient_code_and_date(client, anna, sofia_token):
    surgery = anna.episode.surgery_date
    response = fhir_get(
        client,
        "Observation",
        sofia_token,
        patient=f"Patient/{anna.patient.pk}",
        code="http://loinc.org|97909-6",
        date=f"ge{surgery.isoformat()}",
    )
    assert response.status_code == 200
    values = sorted(o["valueQuantity"]["value"] for o in entries(response))
    assert values == [18.0, 30.0]  # ODI at 3 and 12 months (totals 15 and 9 of 50)


def test_search_by_fusiontrack_code_and_month(client, anna, sofia_token):
    baseline = anna.episode.surgery_date - dt.timedelta(days=10)
    response = fhir_get(
        client, "Observation", sofia_token, code="nrs_leg", date=baseline.strftime("%Y-%m")
    )
    assert [o["valueInteger"] for o in entries(response)] == [8]


def test_last_updated_filters_on_change_time(client, anna, sofia_token):
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%d")
    assert (
        fhir_get(client, "Patient", sofia_token, _lastUpdated=f"gt{tomorrow}").json()["total"] == 0
    )
    assert (
        fhir_get(client, "Patient", sofia_token, _lastUpdated=f"lt{tomorrow}").json()["total"] == 1
    )


def test_paging_links_walk_every_observation(client, anna, sofia_token):
    first = fhir_get(client, "Observation", sofia_token, _count=5).json()
    assert first["total"] == 12  # 3 × (ODI %, sections answered, NRS back, NRS leg)
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert set(links) == {"self", "first", "next", "last"}
    seen = [e["resource"]["id"] for e in first["entry"]]
    url = links["next"]
    while url:
        page = client.get(
            url.replace("http://testserver", ""), HTTP_AUTHORIZATION=f"Bearer {sofia_token}"
        ).json()
        seen += [e["resource"]["id"] for e in page["entry"]]
        url = {link["relation"]: link["url"] for link in page["link"]}.get("next")
    assert len(seen) == len(set(seen)) == 12
    validate.validate(first)


def test_search_condition_and_procedure_by_code(client, anna, sofia_token):
    conditions = entries(
        fhir_get(client, "Condition", sofia_token, code="degenerative_spondylolisthesis")
    )
    assert conditions[0]["stage"][0]["summary"]["coding"][0]["code"] == "I"
    assert entries(fhir_get(client, "Condition", sofia_token, code="spinal_stenosis")) == []
    procedures = entries(
        fhir_get(client, "Procedure", sofia_token, code="http://snomed.info/sct|55705006")
    )
    assert [p["id"] for p in procedures] == [str(anna.operation.pk)]


def test_questionnaire_search_and_read_need_login_but_no_patient_role(client, personas):
    token = token_for(personas.rhea, personas.north)
    bundle = fhir_get(client, "Questionnaire", token, url=f"{CANONICAL}/Questionnaire/odi")
    assert [q["id"] for q in entries(bundle)] == ["odi"]
    assert fhir_get(client, "Questionnaire/eq5d5l", token).json()["version"] == "5L"
    assert fhir_get(client, "Patient", token).status_code == 403


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"date": "2024-13-01"}, "month must be in 1..12"),
        ({"date": "yesterday"}, "is not a FHIR date"),
        ({"patient": "Group/1"}, "expected Patient/<id>"),
        ({"_count": "many"}, "expected a whole number"),
        ({"colour": "red"}, "does not support the search parameter colour"),
    ],
)
def test_bad_search_parameters_are_named(client, anna, sofia_token, params, fragment):
    response = fhir_get(client, "Observation", sofia_token, **params)
    assert response.status_code == 400
    assert fragment in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ACCEPT": "application/fhir+xml"}, {"HTTP_ACCEPT": "application/xml, text/xml"}],
)
def test_xml_is_refused_with_an_operation_outcome(client, anna, sofia_token, headers):
    response = client.get("/fhir/Patient", HTTP_AUTHORIZATION=f"Bearer {sofia_token}", **headers)
    assert response.status_code == 406
    assert response["Content-Type"].startswith("application/fhir+json")
    assert "JSON only; XML is not supported" in response.json()["issue"][0]["diagnostics"]


def test_xml_format_parameter_and_xml_body_are_refused(client, anna, sofia_token):
    assert fhir_get(client, "Patient", sofia_token, _format="xml").status_code == 406
    response = fhir_post(
        client,
        "QuestionnaireResponse",
        sofia_token,
        "<QuestionnaireResponse xmlns='http://hl7.org/fhir'/>",
        content_type="application/fhir+xml",
    )
    assert response.status_code == 415
    assert "XML is not supported" in response.json()["issue"][0]["diagnostics"]


def test_unknown_type_and_missing_resource_are_404(client, anna, sofia_token):
    assert fhir_get(client, "Encounter", sofia_token).status_code == 404
    assert fhir_get(client, "Patient/999999", sofia_token).status_code == 404
    assert fhir_get(client, "Observation/abc", sofia_token).status_code == 404
    root = fhir_get(client, "", sofia_token)
    assert root.status_code == 404
    assert root.json()["resourceType"] == "OperationOutcome"


# -- create -------------------------------------------------------------------------------------


def _posted(name, patient, authored):
    text = json.dumps(example(name))
    return json.loads(text.replace("{patient}", str(patient)).replace("{authored}", authored))


def test_post_questionnaire_response_is_scored_stored_and_returned(client, anna, sofia_token):
    authored = anna.episode.surgery_date + dt.timedelta(days=182)
    body = _posted("qr-odi-from-ehr.json", anna.patient.pk, authored.isoformat())
    response = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"].endswith(f"/fhir/QuestionnaireResponse/{created['id']}")
    stored = QuestionnaireResponse.objects.get(pk=created["id"])
    assert stored.timepoint == "6m"  # from the schedule window (no extension sent)
    assert stored.entry_mode == "patient"  # source is the patient
    # 22 points over 9 answered sections (section 8 blank): 22 / 45 × 100 = 48.89 %
    assert stored.scores["odi"] == pytest.approx(48.888, abs=0.01)
    assert Score.objects.filter(response=stored, measure="odi").exists()
    answers = {i["linkId"]: i.get("answer") for i in created["item"]}
    assert answers["odi_4"] == [
        {
            "valueCoding": {
                "system": f"{CANONICAL}/CodeSystem/odi-answer",
                "code": "2",
                "display": "statement 2",
            }
        }
    ]
    assert answers["odi_8"] is None


def test_posted_response_round_trips_through_read(client, anna, sofia_token):
    authored = (anna.episode.surgery_date + dt.timedelta(days=182)).isoformat()
    created = fhir_post(
        client,
        "QuestionnaireResponse",
        sofia_token,
        _posted("qr-odi-from-ehr.json", anna.patient.pk, authored),
    ).json()
    read = fhir_get(client, f"QuestionnaireResponse/{created['id']}", sofia_token).json()
    assert read == created


def test_bad_answers_get_an_outcome_naming_each_item(client, anna, sofia_token):
    body = _posted("qr-nrs-decimal-and-bad-code.json", anna.patient.pk, "2020-01-01")
    response = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert response.status_code == 422
    issues = response.json()["issue"]
    messages = [i["diagnostics"] for i in issues]
    assert any("linkId 'nrs_knee' is not an item of NRS" in m for m in messages)
    assert any(i.get("expression") == ["QuestionnaireResponse.item[1].linkId"] for i in issues)
    assert QuestionnaireResponse.objects.filter(instrument_id="nrs").count() == 3


def test_out_of_range_answer_is_refused_by_the_core(client, anna, sofia_token):
    body = _posted("qr-nrs-decimal-and-bad-code.json", anna.patient.pk, "2020-01-01")
    body["item"] = body["item"][:1]
    body["extension"] = [
        {
            "url": f"{CANONICAL}/StructureDefinition/timepoint",
            "valueCoding": {"code": "12m"},
        }
    ]
    response = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert "nrs_back" in issue["diagnostics"] and "14" in issue["diagnostics"]
    assert issue["expression"] == ["QuestionnaireResponse.item[0].answer[0]"]


def test_out_of_range_and_unknown_item_are_reported_together(client, anna, sofia_token):
    body = _posted("qr-nrs-decimal-and-bad-code.json", anna.patient.pk, "2020-01-01")
    response = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert response.status_code == 422
    issues = {i["expression"][0]: i["diagnostics"] for i in response.json()["issue"]}
    assert "14 is not an allowed answer" in issues["QuestionnaireResponse.item[0].answer[0]"]
    assert "is not an item of NRS" in issues["QuestionnaireResponse.item[1].linkId"]


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"questionnaire": "http://example.org/Questionnaire/sf36"}, 422, "Unknown questionnaire"),
        ({"questionnaire": f"{CANONICAL}/Questionnaire/odi|1.0"}, 422, "version"),
        ({"status": "entered-in-error"}, 422, "cannot be stored"),
        ({"authored": None}, 422, "authored is required"),
        ({"subject": {"reference": "Patient/999999"}}, 404, "No such patient"),
        ({"authored": "2024-02-30"}, 400, "day value is outside expected range"),
        ({"colour": "red"}, 400, "Extra inputs are not permitted"),
    ],
)
def test_invalid_posted_response_says_exactly_what_is_wrong(
    client, anna, sofia_token, change, status, fragment
):
    authored = (anna.episode.surgery_date + dt.timedelta(days=182)).isoformat()
    body = _posted("qr-odi-from-ehr.json", anna.patient.pk, authored)
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    response = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert response.status_code == status, response.content
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert any(fragment in i["diagnostics"] for i in outcome["issue"]), outcome


def test_read_only_token_and_other_site_cannot_create(client, personas, anna):
    authored = (anna.episode.surgery_date + dt.timedelta(days=182)).isoformat()
    body = _posted("qr-odi-from-ehr.json", anna.patient.pk, authored)
    reader = token_for(personas.omar, personas.north, "read")
    assert fhir_post(client, "QuestionnaireResponse", reader, body).status_code == 403
    outsider = token_for(personas.kim, personas.south, "write")
    assert fhir_post(client, "QuestionnaireResponse", outsider, body).status_code == 404
    physio = token_for(personas.pia, personas.north, "write")
    assert fhir_post(client, "QuestionnaireResponse", physio, body).status_code == 201


def test_not_json_body_is_a_400(client, anna, sofia_token):
    response = fhir_post(client, "QuestionnaireResponse", sofia_token, "{not json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["issue"][0]["diagnostics"]


def test_only_questionnaire_responses_can_be_created(client, anna, sofia_token):
    response = fhir_post(client, "Patient", sofia_token, {"resourceType": "Patient"})
    assert response.status_code == 405


def test_out_of_range_numbers_are_a_400(client, anna, sofia_token):
    assert fhir_get(client, f"Patient/{2**70}", sofia_token).status_code in {400, 404}
    assert fhir_get(client, "Observation", sofia_token, patient=str(2**70)).status_code < 500
    assert fhir_get(client, "Observation", sofia_token, _offset=str(2**70)).status_code < 500


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("Patient/\u00b2", {}, 404),
        ("Observation", {"patient": "\u00b2"}, 400),
        ("Observation", {"_count": "\u00b2"}, 400),
        ("Observation", {"_offset": "\u00b3"}, 400),
        ("Patient", {"_id": "\u00b2"}, 200),
        ("Questionnaire", {"_count": "\u00b2"}, 400),
        ("Observation", {"date": "9999-12-31"}, 400),
    ],
)
def test_non_ascii_digits_and_far_dates_are_client_errors(
    client, anna, sofia_token, path, params, status
):
    """'²'.isdigit() is True but int('²') fails: these were 500s."""
    response = fhir_get(client, path, sofia_token, **params)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")


def test_posted_subject_with_non_ascii_digits_is_a_422(client, anna, sofia_token):
    body = _posted("qr-odi-from-ehr.json", anna.patient.pk, "2020-01-01")
    body["subject"] = {"reference": "Patient/\u00b2"}
    response = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert response.status_code == 422
    assert "is not Patient/<id>" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("depth", [300, 5000])
def test_deeply_nested_body_is_a_400(client, anna, sofia_token, depth):
    """Past the JSON decoder's recursion limit (5000) or only fhir.resources' (300)."""
    nested = '[{"linkId":"a","item":' * depth + "[]" + "}]" * depth
    body = '{"resourceType":"QuestionnaireResponse","status":"completed","item":' + nested + "}"
    response = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_posting_the_same_response_twice_stores_it_once(client, anna, sofia_token):
    authored = anna.episode.surgery_date + dt.timedelta(days=182)
    body = _posted("qr-odi-from-ehr.json", anna.patient.pk, authored.isoformat())
    first = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    again = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert QuestionnaireResponse.objects.filter(responded_on=authored).count() == 1
    body["item"][0]["answer"] = [{"valueCoding": {"code": "1"}}]
    changed = fhir_post(client, "QuestionnaireResponse", sofia_token, body)
    assert changed.status_code == 201
    assert QuestionnaireResponse.objects.filter(responded_on=authored).count() == 2


def test_subject_identifier_of_another_site_reads_as_unknown(client, personas, anna, today):
    """Whether South holds an MRN must not show in the answer to a North token."""
    build_patient(personas.south, personas.kim, mrn="S-77", today=today)
    body = _posted("qr-odi-from-ehr.json", anna.patient.pk, "2020-01-01")
    answers = []
    for mrn in ("S-77", "S-78"):
        body["subject"] = {"identifier": {"system": f"{CANONICAL}/sid/mrn/south", "value": mrn}}
        token = token_for(personas.sofia, personas.north, "write")
        answers.append(fhir_post(client, "QuestionnaireResponse", token, body))
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json() == answers[1].json()


def test_paging_links_carry_the_capped_page_size(client, anna, sofia_token):
    page = fhir_get(client, "Observation", sofia_token, _count="100000").json()
    assert all("_count=200" in link["url"] for link in page["link"])
