"""Bulk Data $export of a site: kick-off, status polling, NDJSON files, who may export.

The job runs through the queue runner here (``fusiontrack fhir-export-worker --once``), because
pytest-django's test transaction is invisible to a background thread; the thread runner is the
same ``run`` function started after commit.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fusiontrack.cli import main
from fusiontrack.fhir import validate
from fusiontrack.fhir.models import ExportJob
from fusiontrack.registry.models import AuditEvent, Score
from tests.conftest import build_patient
from tests.interop_helpers import auth, fhir_post, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def queue_runner(settings, tmp_path):
    settings.FUSIONTRACK_FHIR_EXPORT_RUNNER = "queue"
    settings.DATA_DIR = tmp_path


def kick_off(client, token, group="north", **params):
    return client.get(
        f"/fhir/Group/{group}/$export",
        params,
        HTTP_ACCEPT="application/fhir+json",
        HTTP_PREFER="respond-async",
        **auth(token),
    )


def poll(client, url, token):
    return client.get(url.replace("http://testserver", ""), **auth(token))


def test_export_of_a_site_end_to_end(client, personas, anna, today):
    build_patient(personas.south, personas.kim, mrn="S-1", today=today)  # must not leak
    token = token_for(personas.omar, personas.north)
    started = kick_off(client, token)
    assert started.status_code == 202
    status_url = started["Content-Location"]
    assert started.json()["issue"][0]["severity"] == "information"
    pending = poll(client, status_url, token)
    assert pending.status_code == 202
    assert pending["X-Progress"] == "queued"

    worker = CliRunner().invoke(main, ["fhir-export-worker", "--once"], catch_exceptions=False)
    assert "ran 1 export job" in worker.output

    done = poll(client, status_url, token)
    assert done.status_code == 200
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts == {
        "Patient": 1,
        "Condition": 1,
        "Procedure": 1,
        "QuestionnaireResponse": 6,
        "Observation": Score.objects.filter(site=personas.north).count(),
        "CarePlan": 1,
    }
    for output in manifest["output"]:
        response = poll(client, output["url"], token)
        assert response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == output["count"]
        for line in lines:
            resource = json.loads(line)
            validate.validate(resource)
            assert resource["resourceType"] == output["type"]
            if output["type"] == "Patient":
                assert resource["identifier"][0]["value"] == "N-1001"
    assert AuditEvent.objects.filter(object_type="exportjob", action="create").count() == 1


def test_exported_observation_equals_the_read_one(client, personas, anna):
    token = token_for(personas.sofia, personas.north)
    status_url = kick_off(client, token, _type="Observation")["Content-Location"]
    CliRunner().invoke(main, ["fhir-export-worker", "--once"])
    file_url = poll(client, status_url, token).json()["output"][0]["url"]
    first = json.loads(b"".join(poll(client, file_url, token).streaming_content).splitlines()[0])
    read = client.get(f"/fhir/Observation/{first['id']}", **auth(token)).json()
    assert first == read


def test_since_exports_only_later_changes(client, personas, anna):
    token = token_for(personas.sofia, personas.north)
    url = kick_off(client, token, _type="Patient", _since="2999-01-01T00:00:00Z")[
        "Content-Location"
    ]
    CliRunner().invoke(main, ["fhir-export-worker", "--once"])
    output = poll(client, url, token).json()["output"]
    assert [(o["type"], o["count"]) for o in output] == [("Patient", 0)]


@pytest.mark.parametrize(
    ("persona", "site", "status"),
    [("rhea", "north", 403), ("pia", "north", 403), ("kim", "north", 404), ("ada", "north", 202)],
)
def test_who_may_export(client, personas, anna, persona, site, status):
    own_site = personas.south if persona == "kim" else personas.north
    token = token_for(getattr(personas, persona), own_site)
    assert kick_off(client, token, group=site).status_code == status


def test_kick_off_needs_respond_async_and_known_options(client, personas, anna):
    token = token_for(personas.omar, personas.north)
    plain = client.get("/fhir/Group/north/$export", **auth(token))
    assert plain.status_code == 400
    assert "Prefer: respond-async" in plain.json()["issue"][0]["diagnostics"]
    assert kick_off(client, token, _type="Encounter").status_code == 400
    assert kick_off(client, token, _outputFormat="text/csv").status_code == 400
    assert kick_off(client, token, patient="Patient/1").status_code == 400


def test_only_the_requester_can_poll_and_cancel(client, personas, anna):
    omar = token_for(personas.omar, personas.north)
    sofia = token_for(personas.sofia, personas.north)
    url = kick_off(client, omar)["Content-Location"]
    assert poll(client, url, sofia).status_code == 404
    cancelled = client.delete(url.replace("http://testserver", ""), **auth(omar))
    assert cancelled.status_code == 202
    assert ExportJob.objects.get().status == "cancelled"
    assert poll(client, url, omar).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_thread_runner_finishes_the_job_in_the_background(client, personas, anna, settings):
    """The default runner: a thread started after the kick-off commits."""
    import time

    settings.FUSIONTRACK_FHIR_EXPORT_RUNNER = "thread"
    token = token_for(personas.omar, personas.north)
    url = kick_off(client, token, _type="Patient,CarePlan")["Content-Location"]
    deadline = time.monotonic() + 30
    while (response := poll(client, url, token)).status_code == 202:
        assert time.monotonic() < deadline, "export thread did not finish"
        time.sleep(0.1)
    assert response.status_code == 200
    assert [(o["type"], o["count"]) for o in response.json()["output"]] == [
        ("Patient", 1),
        ("CarePlan", 1),
    ]


def test_post_kick_off_reads_a_parameters_resource(client, personas, anna):
    token = token_for(personas.omar, personas.north)
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "Patient"},
            {"name": "_since", "valueInstant": "2020-01-01T00:00:00Z"},
        ],
    }
    started = fhir_post(client, "Group/north/$export", token, body, HTTP_PREFER="respond-async")
    assert started.status_code == 202, started.content
    job = ExportJob.objects.get()
    assert job.types == ["Patient"]
    assert job.since.year == 2020


def test_post_kick_off_refuses_parameters_it_would_ignore(client, personas, anna):
    token = token_for(personas.omar, personas.north)
    body = {"resourceType": "Parameters", "parameter": [{"name": "patient", "valueString": "1"}]}
    refused = fhir_post(client, "Group/north/$export", token, body, HTTP_PREFER="respond-async")
    assert refused.status_code == 400
    assert "does not support 'patient'" in refused.json()["issue"][0]["diagnostics"]
    assert not ExportJob.objects.exists()


def test_a_file_removed_from_disk_is_a_410_not_a_500(client, personas, anna):
    import shutil

    from fusiontrack.fhir import export

    token = token_for(personas.sofia, personas.north)
    status_url = kick_off(client, token, _type="Patient")["Content-Location"]
    CliRunner().invoke(main, ["fhir-export-worker", "--once"])
    file_url = poll(client, status_url, token).json()["output"][0]["url"]
    shutil.rmtree(export.job_dir(ExportJob.objects.get()))
    gone = poll(client, file_url, token)
    assert gone.status_code == 410
    assert "no longer on the server" in gone.json()["issue"][0]["diagnostics"]
