"""A real FHIR client reads, searches and writes the server over HTTP.

fhirclient (SMART on FHIR's Python client, models generated from FHIR 4.0.1) talks to
pytest-django's live server: it parses our CapabilityStatement, reads a Patient, follows search
paging links, and creates a QuestionnaireResponse. Its R4 models reject elements that 4.0.1 does
not define, so a pass here also shows our JSON is R4, not just R4B.
"""

from __future__ import annotations

import datetime as dt

import pytest

from fusiontrack.fhir.codes import CANONICAL
from tests.interop_helpers import token_for

pytestmark = pytest.mark.django_db

fhirclient = pytest.importorskip("fhirclient")


@pytest.fixture
def smart(live_server, personas, anna):
    from fhirclient import client

    smart = client.FHIRClient(
        settings={"app_id": "fusiontrack-tests", "api_base": f"{live_server.url}/fhir/"}
    )
    token = token_for(personas.sofia, personas.north, "write")
    smart.server.session.headers["Authorization"] = f"Bearer {token}"
    smart.prepare()
    yield smart
    # Close keep-alive sockets now: a live-server thread ending during a later test would
    # touch that test's database connection.
    smart.server.session.close()


def test_client_reads_capabilities_and_patient(smart, anna):
    from fhirclient.models.patient import Patient

    statement = smart.server.capabilityStatement
    assert statement.fhirVersion == "4.0.1"
    assert "QuestionnaireResponse" in [r.type for r in statement.rest[0].resource]
    patient = Patient.read(str(anna.patient.pk), smart.server)
    assert patient.name[0].family == "Berg"
    assert patient.birthDate.isostring == "1961-04-12"
    assert patient.identifier[0].value == "N-1001"


def test_client_searches_observations_across_pages(smart, anna):
    from fhirclient.models.observation import Observation

    search = Observation.where(
        struct={"patient": str(anna.patient.pk), "code": "http://loinc.org|97909-6", "_count": "1"}
    )
    observations = list(search.perform_resources_iter(smart.server))
    values = sorted(o.valueQuantity.value for o in observations)
    assert values == [18.0, 30.0, 46.0]  # three pages of one
    assert all(o.code.coding[0].code == "97909-6" for o in observations)


def test_client_reads_questionnaire_procedure_and_care_plan(smart, anna):
    from fhirclient.models.careplan import CarePlan
    from fhirclient.models.procedure import Procedure
    from fhirclient.models.questionnaire import Questionnaire

    odi = Questionnaire.read("odi", smart.server)
    assert [i.linkId for i in odi.item][:2] == ["odi_1", "odi_2"]
    assert odi.item[0].answerOption[5].valueCoding.code == "5"
    procedure = Procedure.read(str(anna.operation.pk), smart.server)
    assert [c.code for c in procedure.code.coding] == ["55705006", "tlif"]
    plan = CarePlan.read(str(anna.episode.pk), smart.server)
    assert len(plan.activity) == 6


def test_client_creates_a_questionnaire_response(smart, anna):
    from fhirclient.models.questionnaireresponse import QuestionnaireResponse

    authored = (anna.episode.surgery_date + dt.timedelta(days=700)).isoformat()
    qr = QuestionnaireResponse(
        {
            "resourceType": "QuestionnaireResponse",
            "questionnaire": f"{CANONICAL}/Questionnaire/nrs|1",
            "status": "completed",
            "subject": {"reference": f"Patient/{anna.patient.pk}"},
            "authored": authored,
            "item": [
                {"linkId": "nrs_back", "answer": [{"valueInteger": 2}]},
                {"linkId": "nrs_leg", "answer": [{"valueInteger": 1}]},
            ],
        }
    )
    created = qr.create(smart.server)
    assert created["item"][0]["answer"] == [{"valueInteger": 2}]
    search = QuestionnaireResponse.where(struct={"patient": str(anna.patient.pk), "date": authored})
    found = list(search.perform_resources_iter(smart.server))
    assert [r.id for r in found] == [created["id"]]
    assert found[0].extension[0].valueCoding.code == "24m"
