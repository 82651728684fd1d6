"""PROMIS-29: raw-sum → T-score tables and the instrument's domain scoring, against the shared
reference tables (shared/data/promis, "Table A" of shared/notes/instruments.md §4.2)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusiontrack.core import promis
from fusiontrack.core.errors import ScoringError
from fusiontrack.core.instruments import get_instrument, score, score_batch

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "promis"
CAMR = SHARED / "promis29_v2_tscore_tables_camrprojects.csv"
JDC = SHARED / "promis29_tscore_tables_jdc_utilities.csv"

# instrument domain id -> table name in the shared files
DOMAIN_TABLES = {
    "pf": "physical_function",
    "anx": "anxiety",
    "dep": "depression",
    "fat": "fatigue",
    "sleep": "sleep_disturbance",
    "sr": "ability_to_participate",
    "pi": "pain_interference",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_vendored_table_is_a_byte_copy_of_the_shared_camrprojects_file():
    vendored = promis.TABLE_FILE.read_bytes()
    assert hashlib.sha256(vendored).digest() == hashlib.sha256(CAMR.read_bytes()).digest()


def test_t_scores_against_camrprojects_every_raw_sum_every_domain():
    """rettopnivek/camrprojects data/lst_promis29_scoring.RData (T-score and SE)."""
    rows = _rows(CAMR)
    assert len(rows) == 7 * 17
    for row in rows:
        t, se = promis.t_score(row["domain"], int(row["raw_score"]))
        assert (t, se) == (float(row["t_score"]), float(row["se"])), row


def test_t_scores_against_jdc_utilities_every_raw_sum_every_domain():
    """jcoin-maarc/jdc-utilities jdc_utils/promis/tscores.py @ b917b02 (T-score only)."""
    rows = [r for r in _rows(JDC) if r["domain"] in promis.DOMAINS]
    assert len(rows) == 7 * 17
    for row in rows:
        assert promis.t_score(row["domain"], int(row["raw_score"]))[0] == float(row["t_score"])


def test_table_a_is_used_not_the_disputed_table_b():
    """Table B (one R script) gives PF 22.9 … 56.9 and PI 75.8 at raw 20; UNVERIFIED which is
    current, so the three agreeing sources (Table A) are used: see data/promis/PROVENANCE.md."""
    assert promis.t_score("physical_function", 4)[0] == 22.5
    assert promis.t_score("physical_function", 20)[0] == 57.0
    assert promis.t_score("pain_interference", 20)[0] == 75.6


@pytest.mark.parametrize("raw_sum", [3, 21])
def test_raw_sum_outside_4_to_20_is_a_scoring_error(raw_sum):
    with pytest.raises(ScoringError, match="outside 4–20"):
        promis.t_score("fatigue", raw_sum)


def test_vectorised_lookup_maps_missing_raw_sums_to_nan():
    t, se = promis.TABLES["depression"].lookup_many(np.array([4.0, np.nan, 20.0]))
    assert t[0] == 41.0 and np.isnan(t[1]) and t[2] == 79.4
    assert se[0] == 6.2 and np.isnan(se[1]) and se[2] == 2.6


def _items_summing_to(raw_sum: int) -> list[int]:
    values = [1, 1, 1, 1]
    extra = raw_sum - 4
    for i in range(4):
        step = min(4, extra)
        values[i] += step
        extra -= step
    return values


def test_instrument_scores_every_domain_and_raw_sum_against_the_shared_table():
    """All 7 domains × raw sums 4–20 through `score` and `score_batch`, against camrprojects."""
    reference = {(r["domain"], int(r["raw_score"])): r for r in _rows(CAMR)}
    responses = []
    for raw_sum in range(4, 21):
        answers = {"promis29_pain_intensity": min(raw_sum - 4, 10)}
        for domain in DOMAIN_TABLES:
            for k, value in enumerate(_items_summing_to(raw_sum), start=1):
                answers[f"promis29_{domain}_{k}"] = value
        responses.append(answers)
    batch = score_batch("promis29", pd.DataFrame(responses))
    for row_number, answers in enumerate(responses):
        raw_sum = row_number + 4
        result = score("promis29", answers)
        assert result.complete and result.reason is None
        assert batch.loc[row_number, "errors"] == ""
        for domain, table in DOMAIN_TABLES.items():
            expected = reference[(table, raw_sum)]
            t_key, se_key = f"promis_{domain}_t", f"promis_{domain}_se"
            assert result.scores[t_key] == float(expected["t_score"])
            assert result.scores[se_key] == float(expected["se"])
            assert batch.loc[row_number, t_key] == result.scores[t_key]
            assert batch.loc[row_number, se_key] == result.scores[se_key]
        assert result.scores["promis_pain_intensity"] == min(raw_sum - 4, 10)


def test_a_domain_with_a_missing_item_is_not_scored_and_the_others_are():
    answers = {f"promis29_pf_{k}": 4 for k in range(1, 5)}
    answers.update({f"promis29_pi_{k}": 2 for k in (1, 2, 4)})
    result = score("promis29", answers)
    assert result.scores == {"promis_pf_t": 41.9, "promis_pf_se": 2.5}
    assert not result.complete
    assert (
        "PROMIS-29 pain interference: promis29_pi_3 is missing; a T-score needs all 4 items "
        "(HealthMeasures scoring instructions). Answer it, or score the response pattern with "
        "the HealthMeasures Scoring Service" in result.reason
    )
    assert "PROMIS-29 anxiety was not answered" in result.reason


def test_items_take_their_scored_value_1_to_5():
    with pytest.raises(ScoringError) as caught:
        score("promis29", {"promis29_dep_2": 0})
    assert caught.value.item == "promis29_dep_2"
    assert caught.value.allowed == "a whole number from 1 to 5"


def test_reverse_keyed_items_document_their_scored_values():
    """Sleep109, Sleep116 and the social-role items run opposite to the answer order
    (MII PRO PROMIS-29 questionnaire ordinals): the definition labels each scored value."""
    items = {item.id: item for item in get_instrument("promis29").items}

    def label(item_id, value):
        return next(o.label for o in items[item_id].options if o.value == value)

    assert label("promis29_sleep_1", 1) == "very good"  # Sleep109 sleep quality
    assert label("promis29_sleep_2", 1) == "very much"  # Sleep116 refreshing
    assert label("promis29_sleep_3", 1) == "not at all"  # Sleep20: not reversed
    for k in range(1, 5):
        assert label(f"promis29_sr_{k}", 5) == "never"
    assert label("promis29_pf_1", 5) == "without any difficulty"


def test_directions_follow_the_construct():
    """Higher T = more of the construct: better for PF and social roles, worse otherwise."""
    instrument = get_instrument("promis29")
    better_high = {s.id for s in instrument.scores if s.direction == "higher_is_better"}
    assert better_high == {"promis_pf_t", "promis_sr_t"}
