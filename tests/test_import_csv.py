"""`fusiontrack import FILE.csv --mapping MAP.json`: REDCap-style exports with a mapping file."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from fusiontrack.cli import main
from fusiontrack.registry.models import FollowUp, QuestionnaireResponse
from tests.interop_helpers import DATA

pytestmark = pytest.mark.django_db

MAPPING = DATA / "redcap-mapping.json"


@pytest.fixture
def export_csv(anna, tmp_path):
    surgery = anna.episode.surgery_date
    text = (DATA / "redcap-export.csv").read_text()
    for name, days in {"m3": 95, "m12": 370, "m12b": 372, "m24": 730}.items():
        text = text.replace("{" + name + "}", (surgery + dt.timedelta(days=days)).isoformat())
    path = tmp_path / "redcap-export.csv"
    path.write_text(text)
    return path


def run(*args):
    return CliRunner().invoke(main, ["import", *map(str, args)], catch_exceptions=False)


def test_csv_import_creates_responses_and_reports_each_bad_row(anna, export_csv):
    before = QuestionnaireResponse.objects.count()
    result = run(export_csv, "--site", "north", "--mapping", MAPPING)
    assert result.exit_code == 1
    assert "created 0 patients, 3 questionnaire responses" in result.output
    assert "row 4: event 'month_24_arm_1' is not in the mapping" in result.output
    assert "row 5 (odi):" in result.output and "odi_2" in result.output
    assert "row 6 (odi): no patient 'N-9999' at this site." in result.output
    out = result.output
    assert out.index("row 4:") < out.index("row 5 (odi):") < out.index("row 6 (odi):")
    assert QuestionnaireResponse.objects.count() == before + 3
    nrs_3m = QuestionnaireResponse.objects.get(
        episode=anna.episode,
        instrument_id="nrs",
        timepoint="3m",
        responded_on__gt=anna.episode.surgery_date + dt.timedelta(days=92),
    )
    assert nrs_3m.answers == {"nrs_back": "2"}  # 99 recoded to unanswered
    assert nrs_3m.scores == {"nrs_back": 2}
    assert not nrs_3m.complete
    odi_12m = QuestionnaireResponse.objects.get(
        episode=anna.episode,
        instrument_id="odi",
        responded_on=anna.episode.surgery_date + dt.timedelta(days=370),
    )
    assert odi_12m.scores["odi"] == pytest.approx(15.555, abs=0.01)  # 7 of 45
    assert FollowUp.objects.get(episode=anna.episode, timepoint="12m").status == "completed"


def test_csv_re_run_is_idempotent(anna, export_csv):
    run(export_csv, "--site", "north", "--mapping", MAPPING)
    count = QuestionnaireResponse.objects.count()
    again = run(export_csv, "--site", "north", "--mapping", MAPPING)
    assert "created 0 patients, 0 questionnaire responses" in again.output
    assert "already present: 0 patients, 3 responses" in again.output
    assert QuestionnaireResponse.objects.count() == count


def test_csv_all_or_nothing(anna, export_csv):
    count = QuestionnaireResponse.objects.count()
    result = run(export_csv, "--site", "north", "--mapping", MAPPING, "--all-or-nothing")
    assert result.exit_code == 1
    assert QuestionnaireResponse.objects.count() == count


def test_csv_needs_a_mapping_and_a_valid_one(anna, export_csv, tmp_path):
    assert "needs --mapping" in run(export_csv, "--site", "north").output
    bad = tmp_path / "map.json"
    bad.write_text(
        '{"mrn": "record_id", "instruments": {"sf36": {"date": "d", "items": {"a": "b"}}}}'
    )
    result = run(export_csv, "--site", "north", "--mapping", bad)
    assert result.exit_code == 1
    assert "instrument 'sf36' is unknown" in result.output
