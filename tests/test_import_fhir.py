"""`fusiontrack import` of FHIR Bundles and NDJSON: patients and questionnaire responses,
idempotent re-runs, per-record errors, dry run and all-or-nothing, through the real CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fusiontrack.cli import main
from fusiontrack.interop.models import ImportRun
from fusiontrack.registry.models import AuditEvent, Episode, Patient, QuestionnaireResponse
from tests.interop_helpers import DATA

pytestmark = pytest.mark.django_db

BUNDLE = DATA / "bundle-patients-responses.json"
NDJSON = DATA / "patients-responses.ndjson"


def run(*args):
    return CliRunner().invoke(main, ["import", *map(str, args)], catch_exceptions=False)


def test_bundle_creates_patients_episodes_and_scored_responses(personas):
    result = run(BUNDLE, "--site", "north", "--create-episodes", "--user", "omar")
    assert result.exit_code == 0, result.output
    assert "created 2 patients, 3 questionnaire responses, 2 episodes" in result.output
    jonas = Patient.objects.get(site=personas.north, mrn="N-2001")
    assert (jonas.given_name, jonas.family_name, jonas.sex) == ("Jonas", "Weber", "male")
    odi = QuestionnaireResponse.objects.get(patient=jonas, instrument_id="odi")
    assert odi.scores["odi"] == pytest.approx(44.0)  # 22 of 50 points
    assert odi.timepoint == "baseline" and odi.entered_by == personas.omar
    mira = QuestionnaireResponse.objects.get(patient__mrn="N-2002")  # by identifier reference
    assert mira.scores == {"nrs_back": 5, "nrs_leg": 9}
    assert Episode.objects.filter(title="Imported").count() == 2
    entry = AuditEvent.objects.get(object_type="importrun")
    assert entry.username == "omar"
    assert entry.detail["responses_per_patient"][str(jonas.pk)] == 2


def test_re_running_an_import_creates_no_duplicates(personas):
    run(BUNDLE, "--site", "north", "--create-episodes")
    again = run(BUNDLE, "--site", "north", "--create-episodes")
    assert again.exit_code == 0
    assert "created 0 patients, 0 questionnaire responses" in again.output
    assert "already present: 2 patients, 3 responses" in again.output
    assert QuestionnaireResponse.objects.count() == 3
    assert Episode.objects.count() == 2


def test_ndjson_import_matches_the_bundle(personas):
    result = run(NDJSON, "--site", "north", "--create-episodes")
    assert result.exit_code == 0, result.output
    assert QuestionnaireResponse.objects.count() == 3
    assert set(Patient.objects.values_list("mrn", flat=True)) == {"N-2001", "N-2002"}


def test_without_episodes_each_response_is_an_error_but_patients_are_saved(personas):
    result = run(BUNDLE, "--site", "north")
    assert result.exit_code == 1
    assert "entry 2: the patient has no open episode (use --create-episodes)." in result.output
    assert Patient.objects.count() == 2
    assert QuestionnaireResponse.objects.count() == 0


def test_all_or_nothing_writes_nothing_when_a_record_fails(personas):
    result = run(BUNDLE, "--site", "north", "--all-or-nothing")
    assert result.exit_code == 1
    assert "nothing written" in result.output
    assert Patient.objects.count() == 0
    assert ImportRun.objects.get().counts["rolled_back"] is True


def test_dry_run_reports_and_writes_nothing(personas):
    result = run(BUNDLE, "--site", "north", "--dry-run", "--create-episodes")
    assert result.exit_code == 0
    assert "would create 2 patients, 3 questionnaire responses" in result.output
    assert Patient.objects.count() == Episode.objects.count() == 0
    assert ImportRun.objects.get().dry_run


def test_bad_records_are_reported_with_their_line(personas, tmp_path):
    lines = NDJSON.read_text().splitlines()
    bad_qr = json.loads(lines[3])
    bad_qr["item"][0]["answer"] = [{"valueInteger": 12}]
    patient_without_mrn = {"resourceType": "Patient", "name": [{"family": "X", "given": ["Y"]}]}
    path = tmp_path / "mixed.ndjson"
    path.write_text(
        "\n".join(
            [
                lines[0],
                json.dumps(bad_qr),
                "{oops",
                json.dumps({"resourceType": "Observation"}),
                json.dumps(patient_without_mrn),
                "[" * 100_000 + "]" * 100_000,
            ]
        )
    )
    result = run(path, "--site", "north", "--create-episodes")
    assert result.exit_code == 1
    out = result.output
    assert "line 3: not valid JSON" in out
    assert "line 4: 'Observation' is not imported" in out
    assert "line 5: no MRN" in out
    assert "line 6: nested too deeply" in out
    assert "line 2:" in out and "nrs_back" in out and "12" in out
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.txt", "hello", "unknown file type .txt"),
        ("x.json", "[1, 2]", "is not a FHIR Bundle"),
        ("x.json", "{", "is not valid JSON"),
        ("x.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_files_are_usage_errors(personas, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    result = run(path, "--site", "north")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_site_is_a_usage_error(personas):
    result = run(BUNDLE, "--site", "nowhere")
    assert result.exit_code == 2
    assert "No site 'nowhere'" in result.output
