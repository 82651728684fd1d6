"""Back- and leg-pain numeric rating scales (0–10 whole numbers), scored independently."""

from __future__ import annotations

import pandas as pd
import pytest

from fusiontrack.core.errors import ScoringError
from fusiontrack.core.instruments import get_instrument, score, score_batch


@pytest.mark.parametrize("value", range(11))
def test_every_whole_number_0_to_10_is_its_own_score(value):
    result = score("nrs", {"nrs_back": value, "nrs_leg": 10 - value})
    assert result.scores == {"nrs_back": value, "nrs_leg": 10 - value}
    assert result.complete and isinstance(result.scores["nrs_back"], int)


def test_back_pain_alone_is_scored_and_the_missing_leg_pain_is_named():
    result = score("nrs", {"nrs_back": 6})
    assert result.scores == {"nrs_back": 6}
    assert not result.complete and result.answered == 1
    assert result.reason == "Leg pain NRS (nrs_leg) was not answered."


@pytest.mark.parametrize("bad", [11, -1, 7.5, "seven"])
def test_out_of_range_pain_names_item_value_and_range(bad):
    with pytest.raises(ScoringError) as caught:
        score("nrs", {"nrs_back": 2, "nrs_leg": bad})
    assert (caught.value.item, caught.value.value) == ("nrs_leg", bad)
    assert caught.value.allowed == "a whole number from 0 to 10"


def test_both_scores_carry_loinc_72514_3_and_lower_is_better():
    """LOINC 72514-3, Pain severity 0-10 verbal numeric rating (instruments.md §2.1 [SRC])."""
    for score_def in get_instrument("nrs").scores:
        assert [c.code for c in score_def.codes] == ["72514-3"]
        assert score_def.direction == "lower_is_better"
        assert (score_def.minimum, score_def.maximum) == (0, 10)


def test_batch_keeps_each_pain_score_independent():
    frame = pd.DataFrame({"nrs_back": [7, None, 12], "nrs_leg": [None, 3, 2]})
    out = score_batch("nrs", frame)
    assert out["nrs_back"].tolist()[:2] == [7, pd.NA]
    assert out["nrs_leg"].tolist()[:2] == [pd.NA, 3]
    assert out["errors"].tolist()[:2] == [
        "Leg pain NRS (nrs_leg) was not answered.",
        "Back pain NRS (nrs_back) was not answered.",
    ]
    assert out.loc[2, "errors"].startswith("Back pain NRS (nrs_back): 12 is not an allowed answer")
    assert out.loc[2, ["nrs_back", "nrs_leg"]].isna().all()
