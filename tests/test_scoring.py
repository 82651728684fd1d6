"""score_table: the whole-file scoring behind `fusiontrack score IN.csv -o OUT.csv`."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from fusiontrack.core import eq5d
from fusiontrack.core.errors import ScoringError
from fusiontrack.core.instruments import score_batch
from fusiontrack.core.scoring import detect_instruments, missing_item_columns, score_table

ODI = [f"odi_{i}" for i in range(1, 11)]
EQ = ["eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad"]

HEADER = ",".join(["patient_id", *ODI, "nrs_back", "nrs_leg", *EQ, "eq5d_vas"])
CSV = (
    HEADER
    + """
ann,2,2,2,2,2,2,1,1,1,1,6,7,2,1,2,3,1,70
ben,2,1,3,2,1,2,1,,2,2,4,,1,1,1,1,1,95
cai,2,1,3,2,1,2,,,2,2,3,2,1,1,1,1,1,
dev,,,,,,,,,,,5,5,,,,,,
eve,2,1,9,2,1,2,1,1,2,2,12,3,6,1,1,1,1,80
"""
)


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(CSV), index_col="patient_id")


def test_output_keeps_the_input_and_adds_scores_and_errors(table):
    out = score_table(table)
    assert list(out.columns[: len(table.columns)]) == list(table.columns)
    pd.testing.assert_frame_equal(out[table.columns], table)
    for column in ("odi", "odi_band", "odi_answered", "eq5d5l_index", "errors"):
        assert column in out.columns
    assert list(out.index) == list(table.index)


def test_the_input_frame_is_not_modified(table):
    before = table.copy()
    out = score_table(table)
    out.loc["ann", "odi_1"] = 5
    pd.testing.assert_frame_equal(table, before)


def test_scores_and_messages_per_row(table):
    out = score_table(table)
    assert out.loc["ann", "odi"] == 32.0 and out.loc["ann", "errors"] == ""
    assert out.loc["ann", "eq5d5l_index"] == eq5d.index_5l_one(2, 1, 2, 3, 1, "england")
    assert out.loc["ben", "odi"] == 35.56
    # blank leg pain is simply not recorded: no message
    assert out.loc["ben", "errors"] == ""
    assert out.loc["cai", "errors"] == (
        "ODI sections 7 and 8 are missing; ODI allows at most 1 missing section "
        "(setting odi_max_missing). Answer them or mark the response incomplete."
    )
    # no ODI or EQ-5D answers at all on this row: not administered, no message
    assert np.isnan(out.loc["dev", "odi"]) and out.loc["dev", "errors"] == ""


def test_a_row_with_bad_answers_in_several_instruments_lists_them_all(table):
    out = score_table(table)
    errors = out.loc["eve", "errors"]
    assert errors.startswith("ODI section 3 (lifting) (odi_3): 9 is not an allowed answer")
    assert "; Back pain NRS (nrs_back): 12 is not an allowed answer" in errors
    assert "; EQ-5D mobility (eq5d_mo): 6 is not an allowed answer" in errors
    assert errors.count("; ") == 2 + 3  # 3 messages joined, each message has one '; ' inside
    assert np.isnan(out.loc["eve", "odi"]) and np.isnan(out.loc["eve", "eq5d5l_index"])
    assert out.loc["eve", "nrs_back"] == 12  # the input column is kept as given


def test_settings_reach_the_instruments(table):
    usa = score_table(table, value_set="usa")
    assert usa.loc["ann", "eq5d5l_index"] == eq5d.index_5l_one(2, 1, 2, 3, 1, "usa")
    lenient = score_table(table, odi_max_missing=2)
    assert lenient.loc["cai", "odi"] == 37.5 and lenient.loc["cai", "errors"] == ""


def test_bad_settings_fail_before_scoring(table):
    with pytest.raises(ScoringError):
        score_table(table, value_set="atlantis")
    with pytest.raises(ScoringError, match="odi_max_missing"):
        score_table(table, odi_max_missing=11)


def test_any_subset_of_columns_is_accepted():
    only_nrs = score_table(pd.DataFrame({"nrs_back": [3, 4]}))
    assert list(only_nrs.columns) == ["nrs_back", "errors"]
    assert only_nrs["errors"].tolist() == ["", ""]
    nothing = score_table(pd.DataFrame({"patient_id": ["a"]}))
    assert list(nothing.columns) == ["patient_id", "errors"]


def test_a_file_lacking_item_columns_gets_no_score_and_no_per_row_message():
    frame = pd.DataFrame({"odi_1": [3, 7], "nrs_back": [4, 4]})
    out = score_table(frame)
    assert out["errors"].tolist()[0] == ""
    assert out["errors"].tolist()[1].startswith("ODI section 1 (pain intensity) (odi_1): 7")
    assert out["odi"].isna().all()
    assert missing_item_columns(frame.columns) == {
        "odi": ODI[1:],
        "nrs": ["nrs_leg"],
    }


def test_detects_instruments_by_their_item_columns():
    columns = pd.Index(["comi_qol", "promis29_pf_1", "work_status", "x"])
    assert [i.id for i in detect_instruments(columns)] == ["comi_back", "promis29", "work_status"]


def test_scoring_an_output_file_again_gives_the_same_file(table):
    once = score_table(table)
    twice = score_table(once)
    pd.testing.assert_frame_equal(once, twice)


def test_table_scores_equal_score_batch_per_instrument(table):
    out = score_table(table)
    odi = score_batch("odi", table)
    pd.testing.assert_series_equal(out["odi"], odi["odi"])
    pd.testing.assert_series_equal(out["odi_band"], odi["odi_band"])
    eq = score_batch("eq5d5l", table)
    pd.testing.assert_series_equal(out["eq5d5l_index"], eq["eq5d5l_index"])


def test_promis_comi_and_choice_instruments_are_scored_when_present():
    frame = pd.DataFrame(
        {
            **{f"promis29_pf_{k}": [5] for k in range(1, 5)},
            "comi_back_pain": [2],
            "comi_leg_pain": [7],
            "comi_function": [2.5],
            "comi_wellbeing": [7.5],
            "comi_qol": [10],
            "comi_social": [5],
            "comi_work": [0],
            "global_outcome": [2],
            "work_status": ["retired"],
        }
    )
    out = score_table(frame)
    assert out.loc[0, "promis_pf_t"] == 57.0 and out.loc[0, "comi"] == 5.9
    assert out.loc[0, "global_outcome_success"] == 1 and out.loc[0, "working"] == 0
    assert out.loc[0, "work_status"] == "retired"
    # the other PROMIS domains were not collected in this file: no message
    assert out.loc[0, "errors"] == ""


def test_text_and_blanks_from_a_csv_are_handled_without_crashing():
    text = "odi_1,odi_2,odi_3,odi_4,odi_5,odi_6,odi_7,odi_8,odi_9,odi_10\n" + (
        "1,1,1,1,1,1,1,1,1,1\n 2 ,2,2,2,2,2,2,2,2,n/a\nx,1,1,1,1,1,1,1,1,1\n"
    )
    out = score_table(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
    assert out["odi"].tolist()[0] == 20.0
    assert out.loc[1, "errors"].startswith("ODI section 10 (travelling) (odi_10): 'n/a' is not")
    assert out.loc[2, "errors"].startswith("ODI section 1 (pain intensity) (odi_1): 'x' is not")


# -- EQ-5D-3L answers and the 5L -> 3L mappings (eq5d/columns.py) ---------------------------------

EQ3L = ["eq5d3l_mo", "eq5d3l_sc", "eq5d3l_ua", "eq5d3l_pd", "eq5d3l_ad"]


def _eq5d_frame() -> pd.DataFrame:
    """Persona Olga (3L from an old registry and 5L today), Piet (bad 3L answer, age 17),
    Quinn (3L half answered, sex blank)."""
    return pd.DataFrame(
        {
            "patient_id": ["olga", "piet", "quinn"],
            "age": ["70", "17", "52"],
            "sex": ["F", "male", ""],
            **dict(
                zip(
                    EQ,
                    [
                        ["3", "2", "1"],
                        ["2", "2", "1"],
                        ["2", "2", "1"],
                        ["4", "2", "1"],
                        ["2", "2", "1"],
                    ],
                    strict=True,
                )
            ),
            **dict(
                zip(
                    EQ3L,
                    [
                        ["3", "4", "1"],
                        ["2", "2", ""],
                        ["2", "2", "1"],
                        ["3", "2", "1"],
                        ["2", "2", "1"],
                    ],
                    strict=True,
                )
            ),
        }
    )


def test_eq5d3l_index_against_dolan_1997_uk_tto():
    """Dolan P. Modeling valuations for EuroQol health states. Med Care 1997;35(11):1095-108:
    32232 = 1 - .081 - .314 (MO3) - .104 (SC2) - .036 (UA2) - .386 (PD3) - .071 (AD2) - .269 (N3)
    = -0.261."""
    out = score_table(_eq5d_frame())
    assert out.loc[0, "eq5d3l_index"] == pytest.approx(-0.261, abs=1e-9)
    assert out.loc[0, "eq5d3l_index"] == eq5d.index_3l_one(3, 2, 2, 3, 2)  # batch == single
    assert np.isnan(out.loc[1, "eq5d3l_index"])
    assert "eq5d3l_mo" in out.loc[1, "errors"] and "'4'" in out.loc[1, "errors"]
    assert "allowed: a whole number from 1 to 3" in out.loc[1, "errors"]
    assert "self-care not answered" in out.loc[2, "errors"]
    assert "eq5d3l_index" not in score_table(pd.DataFrame({"eq5d_mo": ["1"]})).columns


def test_eq5d3l_value_set_is_selectable_and_checked():
    usa = score_table(_eq5d_frame(), value_set_3l="usa")
    assert usa.loc[0, "eq5d3l_index"] == eq5d.index_3l_one(3, 2, 2, 3, 2, "usa")
    with pytest.raises(ScoringError, match="EQ-5D-3L value set"):
        score_table(_eq5d_frame(), value_set_3l="atlantis")


def test_dsu_mapping_against_the_core_table_with_age_and_sex():
    """Hernández Alava et al. 2023 (NICE DSU): mapped 3L utility by 5L state, age and sex; the
    column equals dsu_map_5l_to_3l for the same row (batch == single lookup)."""
    out = score_table(_eq5d_frame(), eq5d_mappings=["dsu", "crosswalk"])
    expected = eq5d.dsu_map_5l_to_3l(3, 2, 2, 4, 2, age=70, sex="female")
    assert out.loc[0, "eq5d3l_dsu_index"] == pytest.approx(float(expected), abs=0)
    assert out.loc[0, "eq5d3l_dsu_index"] == pytest.approx(0.39578104694614, abs=1e-12)
    # van Hout 2012 crosswalk, UK: 32242 -> 0.343 (CW.csv)
    assert out.loc[0, "eq5d3l_crosswalk_index"] == pytest.approx(0.343)
    assert np.isnan(out.loc[1, "eq5d3l_dsu_index"])  # age 17 is outside 18-100
    assert "Age (age): '17'" in out.loc[1, "errors"]
    assert out.loc[1, "eq5d3l_crosswalk_index"] == pytest.approx(0.592)  # 22222 needs no age
    assert np.isnan(out.loc[2, "eq5d3l_dsu_index"])
    assert "needs age (age) and sex (sex)" in out.loc[2, "errors"]


def test_dsu_mapping_without_an_age_column_is_one_clear_error():
    with pytest.raises(ScoringError, match="no column 'age'"):
        score_table(_eq5d_frame().drop(columns="age"), eq5d_mappings=["dsu"])
    with pytest.raises(ScoringError, match="unknown EQ-5D mapping"):
        score_table(_eq5d_frame(), eq5d_mappings=["magic"])


def test_a_column_named_twice_is_one_clear_error():
    frame = pd.DataFrame([["1", "2"]], columns=["odi_1", "odi_1"])
    with pytest.raises(ScoringError, match="odi_1 appears more than once"):
        score_table(frame)


def test_dsu_column_against_instruments_notes_examples():
    """shared/notes/instruments.md §3 (fragla DSU5L, age 45–54) [SRC/COMPUTED]: 5L 12345 maps to
    0.037 (male) and 0.027 (female); 11112 to 0.891 / 0.889; 55555 to −0.522 / −0.521."""
    states = {"12345": (0.037, 0.027), "11112": (0.891, 0.889), "55555": (-0.522, -0.521)}
    rows = [
        {**dict(zip(EQ, state, strict=True)), "age": "50", "sex": sex}
        for state in states
        for sex in ("male", "female")
    ]
    out = score_table(pd.DataFrame(rows, dtype=str), eq5d_mappings=["dsu"])
    expected = [value for pair in states.values() for value in pair]
    assert out["eq5d3l_dsu_index"].round(3).tolist() == expected
    assert (out["errors"] == "").all()
