"""The instrument registry: every definition loads, malformed ones fail with file and field, and
for every instrument a batch scores exactly like single responses (property-based)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusiontrack.core import eq5d, vocab
from fusiontrack.core.errors import DefinitionError, ScoringError, UnknownInstrument
from fusiontrack.core.instruments import (
    INSTRUMENTS,
    Instrument,
    get_instrument,
    load_definition,
    load_definitions,
    score,
    score_batch,
)
from fusiontrack.core.instruments.loader import DEFINITIONS_DIR

EXPECTED_IDS = [
    "odi",
    "nrs",
    "eq5d5l",
    "comi_back",
    "promis29",
    "global_outcome",
    "nass_satisfaction",
    "work_status",
]


# -- the registry -------------------------------------------------------------------------------


def test_registry_holds_the_eight_instruments_in_display_order():
    assert list(INSTRUMENTS) == EXPECTED_IDS


@pytest.mark.parametrize("path", sorted(DEFINITIONS_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_definition_file_loads_and_validates(path):
    instrument = load_definition(path)
    assert instrument.id == path.stem
    assert instrument.version and instrument.title and instrument.licence.notice
    assert instrument.licence.holder and instrument.citations
    assert all(c.evidence for c in instrument.citations)
    assert instrument.items and instrument.scores
    numeric = [s for s in instrument.scores if s.type in ("number", "integer")]
    assert all(s.direction is not None or s.note for s in numeric)


def test_get_instrument_unknown_lists_the_known_ids():
    with pytest.raises(UnknownInstrument) as caught:
        get_instrument("sf36")
    message = str(caught.value)
    assert "'sf36'" in message
    assert all(instrument_id in message for instrument_id in EXPECTED_IDS)


def test_item_ids_are_the_documented_column_names():
    assert get_instrument("odi").item_ids == tuple(f"odi_{i}" for i in range(1, 11))
    assert get_instrument("nrs").item_ids == ("nrs_back", "nrs_leg")
    assert get_instrument("eq5d5l").item_ids == (
        "eq5d_mo",
        "eq5d_sc",
        "eq5d_ua",
        "eq5d_pd",
        "eq5d_ad",
        "eq5d_vas",
    )
    assert get_instrument("comi_back").item_ids == (
        "comi_back_pain",
        "comi_leg_pain",
        "comi_function",
        "comi_wellbeing",
        "comi_qol",
        "comi_social",
        "comi_work",
    )
    promis = get_instrument("promis29").item_ids
    assert len(promis) == 29 and promis[-1] == "promis29_pain_intensity"
    for domain in ("pf", "anx", "dep", "fat", "sleep", "sr", "pi"):
        assert [f"promis29_{domain}_{k}" for k in range(1, 5)] == [
            i for i in promis if i.startswith(f"promis29_{domain}_")
        ]


def test_codes_carry_the_sourced_loinc_and_snomed_codes():
    """Codes from shared/notes/verified-facts.md §12 and instruments.md §2.1/§7."""

    def codes(instrument_id, score_id):
        return [c.code for c in get_instrument(instrument_id).score_def(score_id).codes]

    assert codes("odi", "odi") == ["97909-6"]
    assert codes("nrs", "nrs_back") == ["72514-3"] and codes("nrs", "nrs_leg") == ["72514-3"]
    assert codes("eq5d5l", "eq5d5l_index") == ["736534008"]
    assert codes("eq5d5l", "eq5d_vas") == ["736535009"]
    assert codes("promis29", "promis_pi_t") == ["77865-4"]
    assert codes("promis29", "promis_pf_t") == []  # disputed domain codes are not attached


def test_licence_notices_name_the_rights_holders():
    assert "Mapi Research Trust" in get_instrument("odi").licence
    assert "does not ship" in get_instrument("odi").licence
    eq = get_instrument("eq5d5l").licence
    assert "EuroQol" in eq and "registration" in eq
    assert "HealthMeasures" in get_instrument("promis29").licence
    assert "public domain" in get_instrument("nrs").licence


def test_work_status_answers_are_the_vocabulary_codes():
    item = get_instrument("work_status").items[0]
    assert [o.value for o in item.options] == list(vocab.codes(vocab.WORK_STATUS))


# -- malformed definitions ----------------------------------------------------------------------


def _odi_definition() -> dict:
    return json.loads((DEFINITIONS_DIR / "odi.json").read_text(encoding="utf-8"))


def _mutations():
    def drop_version(d):
        del d["version"]

    def typo_field(d):
        d["titel"] = "x"

    def bad_option_value(d):
        d["option_sets"]["statements"][2]["value"] = [2]

    def unknown_rule(d):
        d["scoring"]["rule"] = "sum_of_items"

    def duplicate_item(d):
        d["items"][1]["id"] = "odi_1"

    def bad_band_edges(d):
        d["scoring"]["params"]["band_upper_edges"] = [20, 40, 60, 80]

    def unknown_section(d):
        d["scoring"]["params"]["sections"][9] = "odi_11"

    def missing_score(d):
        d["scores"] = d["scores"][:2]

    def bad_direction(d):
        d["scores"][0]["direction"] = "down"

    def bad_code_system(d):
        d["scores"][0]["codes"][0]["system"] = "ICD-10"

    def range_backwards(d):
        d["items"][0] = {"id": "odi_1", "label": "x", "text": "x", "range": {"min": 5, "max": 0}}

    return [
        (drop_version, "odi.json: version"),
        (typo_field, "unknown field(s) titel"),
        (bad_option_value, "odi.json: option_sets.statements[2].value"),
        (unknown_rule, "odi.json: scoring.rule"),
        (duplicate_item, "duplicate id 'odi_1'"),
        (bad_band_edges, "odi.json: scoring.params.band_upper_edges"),
        (unknown_section, "odi.json: scoring.params.sections"),
        (missing_score, "odi.json: scoring.params: the odi rule produces"),
        (bad_direction, "odi.json: scores[0].direction"),
        (bad_code_system, "odi.json: scores[0].codes[0].system"),
        (range_backwards, "odi.json: items[0].range"),
    ]


@pytest.mark.parametrize(
    ("mutate", "where"), _mutations(), ids=lambda m: getattr(m, "__name__", "")
)
def test_malformed_definition_raises_definition_error_naming_file_and_field(
    tmp_path, mutate, where
):
    definition = _odi_definition()
    mutate(definition)
    path = tmp_path / "odi.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert where in str(caught.value)


def test_invalid_json_names_file_and_line(tmp_path):
    path = tmp_path / "odi.json"
    path.write_text('{\n  "id": "odi",\n  oops\n}', encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"odi\.json: not valid JSON \(line 3"):
        load_definition(path)


def test_definition_id_must_match_its_file_name(tmp_path):
    path = tmp_path / "oswestry.json"
    path.write_text(json.dumps(_odi_definition()), encoding="utf-8")
    with pytest.raises(DefinitionError, match="must match the file name"):
        load_definition(path)


def test_an_empty_definitions_directory_is_an_error(tmp_path):
    with pytest.raises(DefinitionError, match="no instrument definitions"):
        load_definitions(tmp_path)


# -- options ------------------------------------------------------------------------------------


def test_unknown_option_is_a_scoring_error_listing_the_options():
    with pytest.raises(ScoringError, match="ODI has no option value_set; its options: max_missing"):
        score("odi", {}, value_set="usa")


@pytest.mark.parametrize("bad", [-1, 10, 1.5, "2", True])
def test_bad_max_missing_is_a_scoring_error(bad):
    with pytest.raises(ScoringError, match="odi_max_missing") as caught:
        score("odi", {}, max_missing=bad)
    assert caught.value.allowed == "a whole number from 0 to 9"


def test_unknown_value_set_is_a_scoring_error_before_any_row_is_scored():
    with pytest.raises(ScoringError):
        score("eq5d5l", {"eq5d_mo": 1}, value_set="atlantis")
    with pytest.raises(ScoringError):
        score_batch("eq5d5l", pd.DataFrame({"eq5d_mo": [1]}), value_set="atlantis")


# -- EQ-5D-5L through the instrument (index engine: fusiontrack.core.eq5d) -----------------------


def test_eq5d5l_full_health_is_one_and_value_sets_differ():
    answers = {"eq5d_mo": 1, "eq5d_sc": 1, "eq5d_ua": 1, "eq5d_pd": 1, "eq5d_ad": 1, "eq5d_vas": 90}
    result = score("eq5d5l", answers)
    assert result.complete and result.scores == {"eq5d5l_index": 1.0, "eq5d_vas": 90}
    worst = dict(answers, eq5d_mo=5, eq5d_sc=5, eq5d_ua=5, eq5d_pd=5, eq5d_ad=5)
    england = score("eq5d5l", worst).scores["eq5d5l_index"]
    usa = score("eq5d5l", worst, value_set="usa").scores["eq5d5l_index"]
    assert england == eq5d.index_5l_one(5, 5, 5, 5, 5, "england")
    assert usa == eq5d.index_5l_one(5, 5, 5, 5, 5, "usa")
    assert england != usa


def test_eq5d5l_vas_and_index_are_scored_independently():
    index_only = score(
        "eq5d5l", {"eq5d_mo": 2, "eq5d_sc": 1, "eq5d_ua": 1, "eq5d_pd": 3, "eq5d_ad": 1}
    )
    assert set(index_only.scores) == {"eq5d5l_index"} and not index_only.complete
    assert index_only.reason == "EQ VAS (eq5d_vas) was not answered."
    vas_only = score("eq5d5l", {"eq5d_vas": 55, "eq5d_mo": 2})
    assert vas_only.scores == {"eq5d_vas": 55}
    assert vas_only.reason == (
        "EQ-5D-5L EQ-5D self-care, EQ-5D usual activities, EQ-5D pain/discomfort and "
        "EQ-5D anxiety/depression are missing; the index needs all five dimensions. "
        "Answer them or mark the response incomplete."
    )


def test_eq5d5l_batch_index_equals_the_engine_for_every_state():
    levels = eq5d_states = np.array(
        [
            [a, b, c, d, e]
            for a in range(1, 6)
            for b in range(1, 6)
            for c in range(1, 6)
            for d in range(1, 6)
            for e in range(1, 6)
        ]
    )
    frame = pd.DataFrame(levels, columns=["eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad"])
    out = score_batch("eq5d5l", frame, value_set="usa")
    expected = eq5d.index_5l(*eq5d_states.T, value_set="usa")
    assert np.array_equal(out["eq5d5l_index"].to_numpy(), expected)
    assert (out["errors"] == "EQ VAS (eq5d_vas) was not answered.").all()


# -- choice instruments -------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "success"), [(1, 1), (2, 1), (3, 0), (4, 0), (5, 0)])
def test_global_outcome_success_is_helped_a_lot_or_helped(answer, success):
    """Answers from Mannion 2009 Part 1 (Eur Spine J 18 Suppl 3); the dichotomy is a convention."""
    result = score("global_outcome", {"global_outcome": answer})
    assert result.scores == {"global_outcome": answer, "global_outcome_success": success}


@pytest.mark.parametrize(("answer", "satisfied"), [(1, 1), (2, 1), (3, 0), (4, 0)])
def test_nass_satisfied_is_1_or_2_against_dru_2024(answer, satisfied):
    """Dru et al. J Neurosurg Spine 2024 (QOD): 'considered satisfied if they had a score ≤ 2'."""
    result = score("nass_satisfaction", {"nass_satisfaction": str(answer)})
    assert result.scores == {"nass_satisfaction": answer, "nass_satisfied": satisfied}


def test_work_status_keeps_the_code_and_flags_working():
    assert score("work_status", {"work_status": "working_part_time"}).scores == {
        "work_status": "working_part_time",
        "working": 1,
    }
    assert score("work_status", {"work_status": " sick_leave "}).scores["working"] == 0
    with pytest.raises(ScoringError) as caught:
        score("work_status", {"work_status": "astronaut"})
    assert caught.value.item == "work_status" and "working_full_time" in caught.value.allowed
    blank = score("work_status", {"work_status": ""})
    assert blank.scores == {} and blank.reason == "Work status (work_status) was not answered."


# -- bad answers name item, value and range -----------------------------------------------------


@pytest.mark.parametrize(
    ("instrument_id", "item_id", "value", "allowed"),
    [
        ("odi", "odi_4", 6, "a whole number from 0 to 5"),
        ("nrs", "nrs_leg", 10.5, "a whole number from 0 to 10"),
        ("eq5d5l", "eq5d_pd", 0, "a whole number from 1 to 5"),
        ("eq5d5l", "eq5d_vas", 101, "a whole number from 0 to 100"),
        ("comi_back", "comi_qol", 3, "one of 0, 2.5, 5, 7.5, 10"),
        ("promis29", "promis29_sleep_2", "often", "a whole number from 1 to 5"),
        ("global_outcome", "global_outcome", 6, "a whole number from 1 to 5"),
        ("nass_satisfaction", "nass_satisfaction", 0, "a whole number from 1 to 4"),
    ],
)
def test_bad_answer_raises_scoring_error_naming_item_value_and_range(
    instrument_id, item_id, value, allowed
):
    with pytest.raises(ScoringError) as caught:
        score(instrument_id, {item_id: value})
    error = caught.value
    assert (error.item, error.value, error.allowed) == (item_id, value, allowed)
    message = str(error)
    assert item_id in message and allowed in message
    assert ("'often'" if isinstance(value, str) else str(value)) in message
    assert "Correct the answer, or leave it blank" in message


def test_answers_must_be_a_mapping():
    with pytest.raises(ScoringError, match="Answers must map item ids to answers"):
        score("nrs", [3, 4])


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan"), np.nan, pd.NA])
def test_blank_none_and_nan_mean_unanswered(blank):
    result = score("nrs", {"nrs_back": blank, "nrs_leg": 3})
    assert result.scores == {"nrs_leg": 3} and result.answered == 1


@pytest.mark.parametrize("accepted", [3, 3.0, "3", " 3 ", np.int64(3), np.float32(3.0)])
def test_numbers_as_text_or_numpy_scalars_are_accepted(accepted):
    assert score("nrs", {"nrs_back": accepted, "nrs_leg": 0}).scores["nrs_back"] == 3


# -- batch == single, for every instrument (property-based) -------------------------------------


def _valid_values(item):
    if item.options:
        return [o.value for o in item.options]
    return list(np.arange(item.minimum, item.maximum + 1, item.step or 1))


def _answer_strategy(item):
    valid = _valid_values(item)
    blank = st.sampled_from([None, "", " ", float("nan")])
    if item.is_coded:
        invalid = st.sampled_from(["unknown", 3, "WORKING_FULL_TIME"])
        as_text = st.sampled_from(valid)
    else:
        invalid = st.one_of(
            st.sampled_from([-1, 2.5, 11, 101, 1e9, float("inf"), "abc", "3,5", True]),
            st.integers(min_value=-5, max_value=120),
        )
        as_text = st.sampled_from(valid).map(
            lambda v: str(int(v)) if float(v).is_integer() else str(v)
        )
    clean = st.one_of(*[st.sampled_from(valid)] * 4, as_text, blank)
    return clean, st.one_of(clean, invalid)


def _response_strategy(instrument: Instrument):
    """Clean responses (valid, as text, or blank) and responses that may hold bad answers."""
    answers = {item.id: _answer_strategy(item) for item in instrument.items}
    return st.one_of(
        st.fixed_dictionaries({k: clean for k, (clean, _) in answers.items()}),
        st.fixed_dictionaries({k: any_answer for k, (_, any_answer) in answers.items()}),
    )


def _options_strategy(instrument_id):
    if instrument_id == "odi":
        return st.fixed_dictionaries({"max_missing": st.integers(0, 9)})
    if instrument_id == "eq5d5l":
        return st.fixed_dictionaries(
            {"value_set": st.sampled_from(["england", "usa", "germany", "japan_ctto"])}
        )
    return st.just({})


def _same(batch_value, single_value) -> bool:
    if single_value is None:
        return batch_value is pd.NA or (isinstance(batch_value, float) and math.isnan(batch_value))
    return batch_value == single_value and type(single_value)(batch_value) == single_value


def assert_batch_equals_single(instrument_id, responses, options, frame):
    out = score_batch(instrument_id, frame, **options)
    assert list(out.index) == list(frame.index)
    instrument = get_instrument(instrument_id)
    for position, answers in enumerate(responses):
        row = out.iloc[position]
        try:
            result = score(instrument_id, answers, **options)
        except ScoringError as exc:
            first = str(exc)
            assert row["errors"] == first or row["errors"].startswith(
                first.removesuffix(".") + "; "
            )
            for score_def in instrument.scores:
                assert _same(row[score_def.id], None), (score_def.id, row[score_def.id])
            continue
        assert row["errors"] == (result.reason or ""), answers
        for score_def in instrument.scores:
            assert _same(row[score_def.id], result.scores.get(score_def.id)), (
                score_def.id,
                row[score_def.id],
                result.scores.get(score_def.id),
                answers,
            )


@pytest.mark.parametrize("instrument_id", list(INSTRUMENTS))
def test_batch_equals_single_for_random_responses(instrument_id):
    """Every registered instrument joins automatically (CONTRIBUTING: Adding an instrument)."""
    instrument = get_instrument(instrument_id)

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        responses=st.lists(_response_strategy(instrument), min_size=1, max_size=12),
        options=_options_strategy(instrument_id),
    )
    def check(responses, options):
        index = pd.RangeIndex(100, 100 + len(responses))
        as_objects = pd.DataFrame(
            {
                item.id: pd.Series([r[item.id] for r in responses], dtype=object, index=index)
                for item in instrument.items
            },
            index=index,
        )
        assert_batch_equals_single(instrument_id, responses, options, as_objects)
        # the numeric fast path: the same answers as pandas would type them after read_csv
        inferred = as_objects.map(
            lambda v: np.nan if isinstance(v, str) and not v.strip() else v
        ).infer_objects()
        assert_batch_equals_single(instrument_id, responses, options, inferred)

    check()


def test_batch_with_no_item_columns_reports_every_row_unanswered():
    out = score_batch("odi", pd.DataFrame({"patient": ["A", "B"]}, index=["x", "y"]))
    assert list(out.index) == ["x", "y"]
    assert out["odi"].isna().all()
    assert (out["errors"] == "ODI was not answered: all 10 sections are blank.").all()


def test_batch_with_a_duplicated_item_column_is_a_clear_error():
    frame = pd.DataFrame([[1, 2]], columns=["nrs_back", "nrs_back"])
    with pytest.raises(ScoringError, match="nrs_back appears more than once"):
        score_batch("nrs", frame)


def test_batch_does_not_modify_its_input():
    frame = pd.DataFrame({"nrs_back": [3.0, 15.0, np.nan], "nrs_leg": [1.0, 2.0, 3.0]})
    before = frame.copy()
    score_batch("nrs", frame)
    pd.testing.assert_frame_equal(frame, before)


def test_definitions_directory_is_inside_the_package():
    package = Path(__file__).resolve().parents[1] / "fusiontrack" / "core" / "instruments"
    assert package / "definitions" == DEFINITIONS_DIR


@pytest.mark.parametrize("typed", ["1_0", "٣", "infinity", "inf", "0x3", "3,5"])
def test_text_python_would_parse_but_a_person_did_not_write_as_a_number_is_refused(typed):
    """float() reads '1_0' as 10 and the Arabic-Indic digit '٣' as 3: refused, in both paths."""
    with pytest.raises(ScoringError, match="is not a number"):
        score("nrs", {"nrs_back": typed})
    batch = score_batch("nrs", pd.DataFrame({"nrs_back": [typed, " 7 "], "nrs_leg": ["2", "2"]}))
    assert "is not a number" in batch.loc[0, "errors"]
    assert pd.isna(batch.loc[0, "nrs_back"])
    assert batch.loc[1, "nrs_back"] == 7 and batch.loc[1, "errors"] == ""
