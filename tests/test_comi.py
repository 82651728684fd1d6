"""COMI-back: domain scores and the 0–10 index (Mannion et al. 2009; awell-score comi_back)."""

from __future__ import annotations

import pandas as pd
import pytest

from fusiontrack.core.errors import ScoringError
from fusiontrack.core.instruments import score, score_batch

AWELL_RANDOM_RESPONSE = {
    "comi_back_pain": 2,
    "comi_leg_pain": 7,
    "comi_function": 2.5,
    "comi_wellbeing": 7.5,
    "comi_qol": 10,
    "comi_social": 5,
    "comi_work": 0,
}


def test_comi_against_awell_random_response_fixture():
    """awell-score `comi_back` fixture `random_response` (shared/notes/instruments.md §2.2
    [COMPUTED]): pain max(2, 7) = 7, function 2.5, well-being 7.5, QoL 10, disability
    mean(5, 0) = 2.5, COMI = 29.5 / 5 = 5.9."""
    result = score("comi_back", AWELL_RANDOM_RESPONSE)
    assert result.complete and result.answered == 7
    assert result.scores == {
        "comi": 5.9,
        "comi_pain": 7.0,
        "comi_function": 2.5,
        "comi_wellbeing": 7.5,
        "comi_qol": 10.0,
        "comi_disability": 2.5,
    }


@pytest.mark.parametrize(("pain", "rest", "expected"), [(0, 0, 0.0), (10, 10, 10.0)])
def test_comi_minimum_and_maximum(pain, rest, expected):
    answers = {k: (pain if k.endswith("pain") else rest) for k in AWELL_RANDOM_RESPONSE}
    assert score("comi_back", answers).scores["comi"] == expected


def test_pain_domain_is_the_worse_of_back_and_leg():
    back_worse = dict(AWELL_RANDOM_RESPONSE, comi_back_pain=9, comi_leg_pain=1)
    assert score("comi_back", back_worse).scores["comi_pain"] == 9.0


def test_a_missing_item_gives_no_score_and_names_it():
    answers = dict(AWELL_RANDOM_RESPONSE, comi_leg_pain=None)
    result = score("comi_back", answers)
    assert result.scores == {} and not result.complete
    assert result.reason == (
        "COMI leg/buttock pain (comi_leg_pain) is missing; the COMI needs all 7 items "
        "(no missing-item rule is published). Answer it or mark the response incomplete."
    )


@pytest.mark.parametrize("bad", [3, 1, 12.5, "a little"])
def test_five_point_items_take_only_the_scored_values(bad):
    with pytest.raises(ScoringError) as caught:
        score("comi_back", dict(AWELL_RANDOM_RESPONSE, comi_function=bad))
    assert caught.value.item == "comi_function"
    assert caught.value.allowed == "one of 0, 2.5, 5, 7.5, 10"


def test_batch_matches_the_worked_example():
    frame = pd.DataFrame([AWELL_RANDOM_RESPONSE, dict(AWELL_RANDOM_RESPONSE, comi_work=None)])
    out = score_batch("comi_back", frame)
    assert out.loc[0, "comi"] == 5.9 and out.loc[0, "errors"] == ""
    assert pd.isna(out.loc[1, "comi"]) and "comi_work" in out.loc[1, "errors"]
