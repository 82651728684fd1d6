"""The `fusiontrack` command line, run in-process with click's CliRunner.

Persona: Maria, a research coordinator, scores a paper-questionnaire export and compares
baseline with 12 months.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from fusiontrack.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "fusiontrack" / "examples"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_instruments_lists_every_instrument_with_version_and_licence(runner):
    result = runner.invoke(main, ["instruments"])
    assert result.exit_code == 0, result.output
    for instrument_id in (
        "odi",
        "nrs",
        "comi_back",
        "eq5d5l",
        "promis29",
        "global_outcome",
        "nass_satisfaction",
        "work_status",
    ):
        assert instrument_id in result.output
    assert "2.1a" in result.output


def test_score_adds_the_named_columns_and_keeps_the_input(runner, tmp_path):
    out = tmp_path / "scored.csv"
    result = runner.invoke(main, ["score", str(EXAMPLES / "baseline.csv"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out, dtype={"errors": str}, keep_default_na=False)
    source = pd.read_csv(EXAMPLES / "baseline.csv")
    assert list(scored.columns[: len(source.columns)]) == list(source.columns)
    for column in (
        "odi",
        "odi_band",
        "odi_answered",
        "nrs_back",
        "nrs_leg",
        "eq5d5l_index",
        "errors",
    ):
        assert column in scored.columns
    first = scored.iloc[0]
    # SYN-001: ODI sections 2,2,2,2,3,4,2,2,3,3 -> 25 / 50 x 100 = 50.0
    assert float(first["odi"]) == pytest.approx(50.0)
    assert int(first["odi_answered"]) == 10
    # EQ-5D-5L 32234, England (Devlin 2018): 1 - .076 - .050 - .050 - .084 - .285 = 0.455
    assert float(first["eq5d5l_index"]) == pytest.approx(0.455, abs=5e-4)
    assert (scored["errors"] == "").all()
    # SYN-004 left ODI section 8 blank: scored on 9 sections
    assert int(scored.iloc[3]["odi_answered"]) == 9


def test_score_marks_a_bad_row_and_strict_exits_non_zero(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,odi_1,nrs_back\nA,3,4\nB,7,4\nC,2,11\n")
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["score", str(bad), "-o", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out, keep_default_na=False)
    assert scored.loc[0, "errors"] == ""
    assert "odi_1" in scored.loc[1, "errors"] and "7" in scored.loc[1, "errors"]
    assert "nrs_back" in scored.loc[2, "errors"] and "11" in scored.loc[2, "errors"]
    strict = runner.invoke(main, ["score", str(bad), "-o", str(out), "--strict"])
    assert strict.exit_code == 1


def test_score_missing_file_is_a_usage_error_not_a_traceback(runner, tmp_path):
    result = runner.invoke(main, ["score", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert "Traceback" not in result.output


def test_score_unknown_value_set_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(
        main,
        [
            "score",
            str(EXAMPLES / "baseline.csv"),
            "-o",
            str(tmp_path / "o.csv"),
            "--value-set",
            "atlantis",
        ],
    )
    assert result.exit_code == 2
    assert "atlantis" in result.output


def test_score_with_usa_value_set(runner, tmp_path):
    out = tmp_path / "us.csv"
    result = runner.invoke(
        main, ["score", str(EXAMPLES / "baseline.csv"), "-o", str(out), "--value-set", "usa"]
    )
    assert result.exit_code == 0, result.output
    # 32234, USA (Pickard 2019): 1 - .122 - .089 - .068 - .098 - .299 = 0.324
    assert pd.read_csv(out).loc[0, "eq5d5l_index"] == pytest.approx(0.324, abs=5e-4)


def test_score_header_only_file_writes_a_header(runner, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("patient_id,odi_1\n")
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["score", str(empty), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "errors" in out.read_text().splitlines()[0]


def test_compare_prints_per_patient_classification_and_summary(runner, tmp_path):
    out = tmp_path / "compare.csv"
    result = runner.invoke(
        main,
        [
            "compare",
            str(EXAMPLES / "baseline.csv"),
            str(EXAMPLES / "followup_12m.csv"),
            "--key",
            "patient_id",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "SYN-001" in result.output
    assert "Summary" in result.output and "odi" in result.output
    per_patient = pd.read_csv(out)
    assert len(per_patient) == 20
    syn8 = per_patient.set_index("patient_id").loc["SYN-008"]
    assert syn8["odi_change"] > 0  # SYN-008 got worse: higher ODI
    assert syn8["odi_category"] == "worsened"


def test_compare_without_the_key_column_fails_clearly(runner):
    result = runner.invoke(
        main,
        [
            "compare",
            str(EXAMPLES / "baseline.csv"),
            str(EXAMPLES / "followup_12m.csv"),
            "--key",
            "mrn",
        ],
    )
    assert result.exit_code == 1
    assert "no column 'mrn'" in result.output
    assert "Traceback" not in result.output


def test_compare_rejects_duplicate_patients(runner, tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("patient_id,odi_1,odi_2\nA,1,1\nA,2,2\n")
    result = runner.invoke(main, ["compare", str(dup), str(dup), "--key", "patient_id"])
    assert result.exit_code == 1
    assert "more than one row" in result.output


def test_demo_refuses_production_with_a_message(runner, monkeypatch):
    import fusiontrack.demo as demo

    def refuse(**_kwargs):
        raise demo.DemoRefused("the demo refuses to run with FUSIONTRACK_ENV=production")

    monkeypatch.setattr(demo, "run_demo", refuse)
    result = runner.invoke(main, ["demo", "--no-serve"])
    assert result.exit_code == 1
    assert "refuses to run" in result.output
    assert "Traceback" not in result.output


# -- bad files: a one-line error naming the file, never a traceback ------------------------------


def _no_traceback(result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"odi_1,odi_2\n\xff\xfe,3\n", "not utf-8 text"),
        (b"", "the file is empty"),
        (b"odi_1,odi_1,nrs_back\n1,2,3\n", "'odi_1' appears more than once"),
        (b'nrs_back,nrs_leg\n1,2,3,4\n"unterminated\n', "could not read CSV"),
    ],
    ids=["latin-1 bytes", "empty", "duplicate column", "broken quoting"],
)
def test_score_and_compare_report_unreadable_files_in_one_line(runner, tmp_path, content, expected):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    out = tmp_path / "out.csv"
    scored = runner.invoke(main, ["score", str(bad), "-o", str(out)])
    assert scored.exit_code == 1
    assert expected in _no_traceback(scored)
    assert not out.exists() and not (tmp_path / "out.csv.partial").exists()
    compared = runner.invoke(
        main, ["compare", str(bad), str(EXAMPLES / "followup_12m.csv"), "--key", "patient_id"]
    )
    assert compared.exit_code == 1
    assert expected in _no_traceback(compared) or "no column 'patient_id'" in compared.output


def test_score_reports_a_bad_byte_after_the_first_chunk_without_a_traceback(
    runner, tmp_path, monkeypatch
):
    import fusiontrack.cli as cli

    monkeypatch.setattr(cli, "SCORE_CHUNK_ROWS", 2)
    late = tmp_path / "late.csv"
    late.write_bytes(b"nrs_back\n" + b"3\n" * 5000 + b"\xff\xfe\n")
    result = runner.invoke(main, ["score", str(late), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "not utf-8 text" in _no_traceback(result)
    assert not (tmp_path / "o.csv.partial").exists()


def test_score_into_a_missing_directory_is_a_clear_error(runner, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "out.csv"
    result = runner.invoke(main, ["score", str(EXAMPLES / "baseline.csv"), "-o", str(target)])
    assert result.exit_code == 1
    assert f"cannot write {target}" in _no_traceback(result)
    compared = runner.invoke(
        main,
        [
            "compare",
            str(EXAMPLES / "baseline.csv"),
            str(EXAMPLES / "followup_12m.csv"),
            "--key",
            "patient_id",
            "-o",
            str(target),
        ],
    )
    assert compared.exit_code == 1
    assert f"cannot write {target}" in _no_traceback(compared)


def test_score_keeps_odd_answers_per_row_with_a_reason(runner, tmp_path):
    """Text, a fraction, a negative and a huge number each get their own reason; the file with a
    byte-order mark (Excel's 'CSV UTF-8') still finds its first column."""
    odd = tmp_path / "odd.csv"
    odd.write_bytes(
        b"\xef\xbb\xbfpatient_id,odi_1,nrs_back\nA,abc,3\nB,2.5,4\nC,2,-1\nD,2,1e308\nE,2,5\n"
    )
    out = tmp_path / "o.csv"
    result = runner.invoke(main, ["score", str(odd), "-o", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert scored.columns[0] == "patient_id"
    errors = scored["errors"].tolist()
    assert "'abc' is not a number" in errors[0]
    assert "'2.5' is not an allowed answer" in errors[1]
    assert "'-1' is not an allowed answer" in errors[2]
    assert "'1e308' is not an allowed answer" in errors[3]
    assert errors[4] == ""


def test_compare_summary_counts_are_whole_patients_and_bad_rows_are_mentioned(runner, tmp_path):
    follow = tmp_path / "follow.csv"
    follow.write_text("patient_id,nrs_back\nSYN-001,2\nSYN-002,abc\n")
    result = runner.invoke(
        main, ["compare", str(EXAMPLES / "baseline.csv"), str(follow), "--key", "patient_id"]
    )
    assert result.exit_code == 0, result.output
    # SYN-001 back pain 8 -> 2: improved beyond the MCID; SYN-002's 'abc' is left out
    assert "100.0% (1/1)" in result.output
    assert "1 of 2 rows have answers that could not be scored" in result.output


MAP_DSU = ("--eq5d-mapping", "dsu")


def test_score_eq5d3l_columns_and_the_dsu_mapping_option(runner, tmp_path):
    """Hernández Alava 2023 (NICE DSU) mapping is an option; 3L answers are scored with Dolan
    1997 (UK TTO) by default: 32232 -> -0.261."""
    source = tmp_path / "eq.csv"
    source.write_text(
        "patient_id,age,sex,eq5d_mo,eq5d_sc,eq5d_ua,eq5d_pd,eq5d_ad,"
        "eq5d3l_mo,eq5d3l_sc,eq5d3l_ua,eq5d3l_pd,eq5d3l_ad\n"
        "olga,70,female,3,2,2,4,2,3,2,2,3,2\n"
    )
    out = tmp_path / "o.csv"
    result = runner.invoke(
        main,
        ["score", str(source), "-o", str(out), *MAP_DSU, "--eq5d-mapping", "crosswalk"],
    )
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out, keep_default_na=False).iloc[0]
    assert row["eq5d3l_index"] == pytest.approx(-0.261)
    assert row["eq5d3l_dsu_index"] == pytest.approx(0.39578104694614)
    assert row["eq5d3l_crosswalk_index"] == pytest.approx(0.343)
    no_age = runner.invoke(
        main,
        ["score", str(EXAMPLES / "baseline.csv"), "-o", str(out), "--eq5d-mapping", "dsu"],
    )
    assert no_age.exit_code == 1
    assert "needs each patient's age" in _no_traceback(no_age)
    wrong = runner.invoke(
        main,
        ["score", str(source), "-o", str(out), *MAP_DSU, "--mapping-country", "usa"],
    )
    assert wrong.exit_code == 2 and "DSU mapping country 'usa'" in wrong.output


def test_value_sets_lists_3l_sets_and_mapping_countries(runner):
    result = runner.invoke(main, ["value-sets"])
    assert result.exit_code == 0
    assert "EQ-5D-3L TTO value sets" in result.output
    assert "NICE DSU mapping countries" in result.output


def test_compare_leaves_out_rows_without_a_patient_id_instead_of_pairing_them(runner, tmp_path):
    """Two blank ids must not pair with each other (pandas merges NaN keys together)."""
    before = tmp_path / "before.csv"
    before.write_text("patient_id,nrs_back\n,8\nP1,5\n")
    after = tmp_path / "after.csv"
    after.write_text("patient_id,nrs_back\n,2\nP1,4\n")
    result = runner.invoke(main, ["compare", str(before), str(after), "--key", "patient_id"])
    assert result.exit_code == 0, result.output
    assert "0.0% (0/1)" in result.output  # only P1: back pain 5 -> 4, below the 2-point MCID
    assert "1 baseline rows have no patient_id and are left out." in result.output
    assert "<NA>" not in result.output  # a measure without SCB/PASS shows a dash


def test_score_and_compare_read_an_older_excel_export_with_encoding(runner, tmp_path):
    """Persona: José's clinic exports cp1252; the default refuses it with a hint, --encoding reads
    it, and the output is UTF-8."""
    before = tmp_path / "before.csv"
    before.write_bytes("patient_id,nrs_back\nJosé,8\n".encode("cp1252"))
    after = tmp_path / "after.csv"
    after.write_bytes("patient_id,nrs_back\nJosé,3\n".encode("cp1252"))
    out = tmp_path / "o.csv"
    refused = runner.invoke(main, ["score", str(before), "-o", str(out)])
    assert refused.exit_code == 1 and "--encoding" in _no_traceback(refused)
    result = runner.invoke(main, ["score", str(before), "-o", str(out), "--encoding", "cp1252"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[1] == "José,8,"
    compared = runner.invoke(
        main,
        ["compare", str(before), str(after), "--key", "patient_id", "--encoding", "cp1252"],
    )
    assert compared.exit_code == 0, compared.output
    assert "José" in compared.output and "100.0% (1/1)" in compared.output
    unknown = runner.invoke(main, ["score", str(before), "-o", str(out), "--encoding", "klingon"])
    assert unknown.exit_code == 2 and "unknown encoding 'klingon'" in unknown.output
