"""Before/after classification against hand-computed examples that cite their thresholds.

Threshold values and evidence levels come from /work/shared/notes/verified-facts.md §2–§7.
"""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusiontrack.core.errors import DefinitionError, ThresholdError
from fusiontrack.core.outcomes import (
    CATEGORIES,
    COLUMNS,
    DEFAULT_THRESHOLD_SET,
    EVIDENCE_LEVELS,
    MEASURES,
    THRESHOLD_SETS,
    classify_change,
    classify_change_batch,
    describe,
    explain_thresholds,
    load_threshold_data,
    summarise,
)

BUNDLED = json.loads(
    resources.files("fusiontrack.core").joinpath("data", "thresholds.json").read_text("utf-8")
)


# --- worked examples ------------------------------------------------------------------------


def test_odi_46_to_18_against_ostelo_glassman_and_van_hooff():
    """Maria, ODI 46 before fusion and 18 at one year.

    Improvement 28 points, 28/46 = 60.9 %. MCID: ≥10 points or ≥30 % (Ostelo 2008, Spine
    33(1):90–94, CONFIRMED). SCB: 18.8 points or 36.8 % or final < 31.3 (Glassman 2008, JBJS Am
    90(9):1839–47, CONFIRMED). PASS: final ≤ 22 (van Hooff 2016, Spine J 16(10):1221–30; value
    UNRESOLVED, so flagged).
    """
    r = classify_change("odi", 46, 18)
    assert r.change == -28.0
    assert r.improvement == 28.0
    assert r.percent_change == pytest.approx(60.869565, abs=1e-6)
    assert (r.mcid, r.scb, r.pass_, r.worsened) == (True, True, True, False)
    assert r.category == "substantial_benefit"
    assert r.threshold_set == "default"
    sources = {t.citation.short for t in r.thresholds}
    assert sources == {"Ostelo 2008", "Glassman 2008", "van Hooff 2016"}
    (pass_rule,) = r.thresholds_of("pass")
    assert (pass_rule.value, pass_rule.operator, pass_rule.evidence) == (22.0, "<=", "UNRESOLVED")
    assert not pass_rule.verified


@pytest.mark.parametrize(
    ("baseline", "followup", "mcid", "why"),
    [
        (40, 30, True, "exactly 10 points"),
        (40, 30.5, False, "9.5 points, 23.75 %"),
        (20, 14, True, "6 points but exactly 30 %"),
        (20, 14.1, False, "5.9 points, 29.5 %"),
    ],
)
def test_odi_mcid_boundaries_against_ostelo_2008(baseline, followup, mcid, why):
    """Ostelo 2008 (Spine 33(1):90–94): ODI MIC 10 points or 30 % improvement, either suffices."""
    assert classify_change("odi", baseline, followup).mcid is mcid, why


@pytest.mark.parametrize(
    ("baseline", "followup", "scb", "why"),
    [
        (60, 41.2, True, "exactly 18.8 points (31.3 %)"),
        (60, 41.3, False, "18.7 points, 31.2 %, final 41.3"),
        (50, 31.6, True, "18.4 points but exactly 36.8 %"),
        (50, 31.7, False, "18.3 points, 36.6 %, final 31.7"),
        (40, 31.3, False, "final 31.3 is not < 31.3 (strict), 8.7 points, 21.75 %"),
        (40, 31.2, True, "final 31.2 < 31.3"),
    ],
)
def test_odi_scb_boundaries_against_glassman_2008(baseline, followup, scb, why):
    """Glassman 2008 (JBJS Am 90(9):1839–47), quoted in verified-facts §3: "an 18.8-point net
    improvement, a 36.8% improvement, or a final raw score of < 31.3 points" (strictly less)."""
    assert classify_change("odi", baseline, followup).scb is scb, why


@pytest.mark.parametrize(("followup", "passed"), [(22, True), (22.1, False), (0, True)])
def test_odi_pass_against_van_hooff_2016_flagged(followup, passed):
    """van Hooff 2016 (Spine J 16(10):1221–30): ODI ≤ 22 — value UNRESOLVED in verified-facts §4."""
    r = classify_change("odi", 50, followup)
    assert r.pass_ is passed
    assert "not yet been checked against the original paper" in describe(r)


def test_eq5d_index_higher_is_better_against_parai_2020():
    """Parai 2020 (Eur Spine J 29(4):663–669): EQ-5D index MIC 0.10 (CONFIRMED, §6).

    0.6 − 0.5 is 0.09999999999999998 in floating point; it must still count as 0.10."""
    up = classify_change("eq5d5l_index", 0.5, 0.6)
    assert up.improvement == pytest.approx(0.1)
    assert up.percent_change == pytest.approx(20.0)
    assert (up.mcid, up.worsened, up.category) == (True, False, "improved")
    down = classify_change("eq5d5l_index", 0.6, 0.5)
    assert down.improvement == pytest.approx(-0.1)
    assert (down.mcid, down.worsened, down.category) == (False, True, "worsened")
    small = classify_change("eq5d5l_index", 0.5, 0.59)
    assert (small.mcid, small.worsened, small.category) == (False, False, "unchanged")
    assert (up.scb, up.pass_) == (None, None)  # no verified EQ-5D SCB/PASS: never guessed


def test_eq5d_index_negative_baseline_percent_uses_its_magnitude():
    r = classify_change("eq5d5l_index", -0.2, 0.6)
    assert r.improvement == pytest.approx(0.8)
    assert r.percent_change == pytest.approx(400.0)


def test_promis_direction_without_thresholds_says_no_threshold():
    pf = classify_change("promis_pf_t", 35, 45)  # physical function: higher is better
    assert (pf.change, pf.improvement) == (10.0, 10.0)
    assert pf.percent_change == pytest.approx(28.571429, abs=1e-6)
    assert (pf.mcid, pf.scb, pf.pass_, pf.worsened) == (None, None, None, None)
    assert pf.category == "no_threshold"
    assert pf.thresholds == ()
    pi = classify_change("promis_pi_t", 60, 50)  # pain interference: lower is better
    assert (pi.change, pi.improvement) == (-10.0, 10.0)


@pytest.mark.parametrize(
    ("baseline", "followup", "mcid", "worsened", "category"),
    [
        (6.0, 3.8, True, False, "improved"),
        (6.0, 3.9, False, False, "unchanged"),
        (5.0, 5.3, False, True, "worsened"),
        (5.0, 5.2, False, False, "unchanged"),
    ],
)
def test_comi_against_mannion_2009(baseline, followup, mcid, worsened, category):
    """Mannion 2009 (Eur Spine J 18 Suppl 3:374–379), verified-facts §7: individual cut-offs
    "≥2.2 points decrease" (improvement) and "≥0.3 points increase" (deterioration)."""
    r = classify_change("comi", baseline, followup)
    assert (r.mcid, r.worsened, r.category) == (mcid, worsened, category)
    (det,) = r.thresholds_of("deterioration")
    assert det.id == "mannion2009.comi.deterioration.points"


def test_odi_worsening_uses_ostelo_points_mirrored():
    """No deterioration threshold for the ODI: issue 2 §4 'worsened beyond MCID' → 10 points."""
    worse = classify_change("odi", 30, 40)
    assert (worse.worsened, worse.category) == (True, "worsened")
    (rule,) = worse.thresholds_of("deterioration")
    assert rule.value == 10.0
    assert rule.id.endswith(".as_worsening")
    assert "Ostelo 2008" in explain_thresholds(worse.thresholds_of("deterioration"))
    nearly = classify_change("odi", 30, 39)
    assert (nearly.worsened, nearly.category) == (False, "unchanged")


def test_glassman_final_score_rule_does_not_make_a_worse_or_flat_patient_a_benefit():
    """The SCB flag follows Glassman's 'any' rule as published; the category does not."""
    flat = classify_change("odi", 25, 25)
    assert (flat.scb, flat.mcid, flat.category) == (True, False, "unchanged")
    worse = classify_change("odi", 20, 31.2)
    assert (worse.scb, worse.worsened, worse.category) == (True, True, "worsened")


def test_percent_change_is_none_when_baseline_is_zero():
    r = classify_change("odi", 0, 10)
    assert r.percent_change is None
    assert (r.change, r.mcid, r.worsened) == (10.0, False, True)
    eq = classify_change("eq5d5l_index", 0, 0.3)
    assert eq.percent_change is None
    assert eq.mcid is True  # the absolute rule still decides


@pytest.mark.parametrize("missing", [None, math.nan, np.nan, pd.NA])
def test_missing_score_is_not_assessable_with_everything_none(missing):
    for baseline, followup in ((missing, 20), (40, missing)):
        r = classify_change("odi", baseline, followup)
        assert r.category == "not_assessable"
        assert not r.assessable
        fields = (r.change, r.improvement, r.percent_change, r.mcid, r.scb, r.pass_, r.worsened)
        assert fields == (None,) * 7
    assert "baseline score is missing" in describe(classify_change("odi", None, 20))


def test_measure_without_a_kind_in_the_set_says_none():
    r = classify_change("nrs_leg", 8, 3)
    assert (r.mcid, r.scb, r.pass_) == (True, None, None)
    only_scb = classify_change("odi", 40, 35, threshold_set="glassman2008_scb")
    assert (only_scb.mcid, only_scb.scb, only_scb.worsened) == (None, False, None)
    assert only_scb.category == "no_threshold"


# --- named threshold sets -------------------------------------------------------------------


def _values(set_id):
    return {(t.measure, t.kind, t.rule): t.value for t in THRESHOLD_SETS[set_id].thresholds}


def test_threshold_sets_against_verified_facts():
    """Values from verified-facts §2 (Copay), §3 (Glassman), §4 (van Hooff), §5 (Ostelo),
    §6 (Parai), §7 (Mannion)."""
    assert _values("ostelo2008") == {
        ("odi", "mcid", "absolute_change"): 10,
        ("odi", "mcid", "percent_change"): 30,
        ("nrs_back", "mcid", "absolute_change"): 2,
        ("nrs_back", "mcid", "percent_change"): 30,
        ("nrs_leg", "mcid", "absolute_change"): 2,
        ("nrs_leg", "mcid", "percent_change"): 30,
    }
    assert _values("copay2008") == {
        ("odi", "mcid", "absolute_change"): 12.8,
        ("nrs_back", "mcid", "absolute_change"): 1.2,
        ("nrs_leg", "mcid", "absolute_change"): 1.6,
    }
    assert _values("parai2020_swespine") == {
        ("nrs_back", "mcid", "absolute_change"): 2.7,
        ("nrs_leg", "mcid", "absolute_change"): 3.2,
        ("odi", "mcid", "absolute_change"): 18,
        ("eq5d5l_index", "mcid", "absolute_change"): 0.10,
    }
    assert _values("glassman2008_scb") == {
        ("odi", "scb", "absolute_change"): 18.8,
        ("odi", "scb", "percent_change"): 36.8,
        ("odi", "scb", "final_score"): 31.3,
    }
    assert _values("vanhooff2016_pass") == {("odi", "pass", "final_score"): 22}
    assert _values("mannion2009_comi") == {
        ("comi", "mcid", "absolute_change"): 2.2,
        ("comi", "deterioration", "absolute_change"): 0.3,
    }


def test_unverified_values_are_flagged_as_in_verified_facts():
    evidence = {t.id: t.evidence for s in THRESHOLD_SETS.values() for t in s.thresholds}
    unresolved = {tid for tid, level in evidence.items() if level == "UNRESOLVED"}
    assert unresolved == {
        "copay2008.odi.mcid.points",
        "copay2008.nrs_back.mcid.points",
        "copay2008.nrs_leg.mcid.points",
        "vanhooff2016.odi.pass.final",
    }
    assert all(level == "CONFIRMED" for tid, level in evidence.items() if tid not in unresolved)


def test_copay_set_classifies_and_warns():
    r = classify_change("odi", 40, 27.2, threshold_set="copay2008")  # 12.8 points
    assert r.mcid is True
    assert "not yet been checked against the original paper" in explain_thresholds(
        r.thresholds_of("mcid")
    )


def test_parai_set_against_parai_2020():
    """Parai 2020: ODI MIC 18, NRS leg 3.2 (CONFIRMED, verified-facts §6)."""
    assert classify_change("odi", 40, 22, threshold_set="parai2020_swespine").mcid is True
    assert classify_change("odi", 40, 22.5, threshold_set="parai2020_swespine").mcid is False
    assert classify_change("nrs_leg", 7, 3.8, threshold_set="parai2020_swespine").mcid is True
    assert classify_change("nrs_leg", 7, 3.9, threshold_set="parai2020_swespine").mcid is False


def test_default_set_is_documented_and_picks_one_source_per_measure_and_kind():
    default = THRESHOLD_SETS[DEFAULT_THRESHOLD_SET]
    assert DEFAULT_THRESHOLD_SET == "default"
    for word in ("Ostelo", "Parai", "Mannion", "Glassman", "van Hooff", "UNRESOLVED"):
        assert word in default.reason
    sources: dict[tuple[str, str], set[str]] = {}
    for t in default.thresholds:
        sources.setdefault((t.measure, t.kind), set()).add(t.citation.key)
    assert all(len(keys) == 1 for keys in sources.values())
    assert sources[("odi", "mcid")] == {"ostelo2008"}
    assert sources[("odi", "scb")] == {"glassman2008"}
    assert sources[("odi", "pass")] == {"vanhooff2016"}
    assert sources[("eq5d5l_index", "mcid")] == {"parai2020"}
    assert sources[("comi", "deterioration")] == {"mannion2009"}


def test_every_threshold_has_a_citation_and_an_evidence_status():
    for entry in BUNDLED["thresholds"].values():
        assert entry["evidence"] in EVIDENCE_LEVELS
        assert entry["evidence_note"]
        assert entry["population"] and entry["method"]
    for tset in THRESHOLD_SETS.values():
        assert tset.reason
        for t in tset.thresholds:
            c = t.citation
            assert c.authors and c.first_author and c.journal and c.issue
            assert 1990 < c.year < 2030
            assert t.evidence in EVIDENCE_LEVELS
    used = {tid for s in BUNDLED["sets"].values() for tid in s["thresholds"]}
    assert used == set(BUNDLED["thresholds"])  # nothing defined and forgotten


def test_measure_table_matches_the_scoring_columns():
    assert set(MEASURES) == {
        "odi", "nrs_back", "nrs_leg", "comi", "eq5d5l_index", "eq5d_vas", "promis_pf_t",
        "promis_sr_t", "promis_pi_t", "promis_anx_t", "promis_dep_t", "promis_fat_t",
        "promis_sleep_t",
    }  # fmt: skip
    higher = {m for m, info in MEASURES.items() if not info.lower_is_better}
    assert higher == {"eq5d5l_index", "eq5d_vas", "promis_pf_t", "promis_sr_t"}
    assert (MEASURES["odi"].min, MEASURES["odi"].max) == (0, 100)


def test_threshold_summary_line_for_listings():
    (t,) = [
        t
        for t in THRESHOLD_SETS["default"].thresholds
        if t.rule == "final_score" and t.kind == "scb"
    ]
    assert t.summary() == "odi scb: follow-up score < 31.3 (Glassman 2008) [CONFIRMED]"


# --- plain-language sentences ---------------------------------------------------------------


def test_describe_says_what_changed_and_cites_the_threshold():
    text = describe(classify_change("odi", 46, 18))
    assert text.startswith(
        "ODI went from 46 to 18 (28 points better, 61 % better than at baseline)."
    )
    assert "substantial benefit" in text and "(Glassman 2008)" in text
    assert "A score of 22 or less is a level most patients find acceptable (van Hooff 2016)" in text


def test_explain_mcid_in_words_against_ostelo_2008():
    r = classify_change("odi", 40, 36)
    assert r.category == "unchanged"
    assert explain_thresholds(r.thresholds_of("mcid")) == (
        "An improvement of 10 points or more, or an improvement of 30 % or more of the starting "
        "score is a change most patients notice (Ostelo 2008)"
    )
    assert "smaller than a change most patients notice" in describe(r)


def test_describe_worse_and_unclassified():
    assert "worse than before" in describe(classify_change("comi", 5.0, 6.0))
    assert "no verified threshold" in describe(classify_change("eq5d_vas", 50, 70))


# --- bad input ------------------------------------------------------------------------------


def test_bad_input_gives_clear_threshold_errors():
    with pytest.raises(ThresholdError, match="unknown measure 'oswestry'; choose one of odi"):
        classify_change("oswestry", 40, 20)
    with pytest.raises(ThresholdError, match="unknown threshold set 'copay'; choose one of"):
        classify_change("odi", 40, 20, threshold_set="copay")
    with pytest.raises(ThresholdError, match=r"ODI follow-up 120 is outside 0–100"):
        classify_change("odi", 40, 120)
    with pytest.raises(ThresholdError, match="must be a number or empty"):
        classify_change("odi", "40", 20)
    with pytest.raises(ThresholdError, match=r"EQ-5D index baseline 1.2 is outside …–1"):
        classify_change("eq5d5l_index", 1.2, 0.5)
    with pytest.raises(ThresholdError, match=r"3 baseline scores but 2 follow-up"):
        classify_change_batch("odi", [1, 2, 3], [1, 2])
    with pytest.raises(ThresholdError, match=r"ODI baseline 101 is outside 0–100 \(rows 1\)"):
        classify_change_batch("odi", [1, 101, 3], [1, 2, 3])
    with pytest.raises(ThresholdError, match="must be numbers or empty"):
        classify_change_batch("odi", ["a", 2], [1, 2])


def _document(**changes):
    doc = json.loads(json.dumps(BUNDLED))
    for path, value in changes.items():
        node = doc
        *parents, last = path.split("/")
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"thresholds/ostelo2008.odi.mcid.points/citation": "nobody2020"}, "citation 'nobody2020'"),
        ({"thresholds/ostelo2008.odi.mcid.points/citation": None}, "field 'citation' is missing"),
        ({"thresholds/ostelo2008.odi.mcid.points/evidence": "likely"}, "evidence 'likely'"),
        ({"thresholds/ostelo2008.odi.mcid.points/measure": "sf36"}, "unknown measure 'sf36'"),
        ({"thresholds/vanhooff2016.odi.pass.final/rule": "absolute_change"}, "PASS threshold"),
        ({"thresholds/ostelo2008.odi.mcid.points/value": -10}, "positive value"),
        ({"thresholds/ostelo2008.odi.mcid.points/value": "ten"}, "finite number"),
        ({"citations/ostelo2008/year": None}, "field 'year' is missing"),
        ({"sets/default": None}, "'default' threshold set is missing"),
        ({"sets/ostelo2008/thresholds": ["nope"]}, "unknown threshold 'nope'"),
    ],
)
def test_malformed_threshold_data_is_refused(change, message):
    with pytest.raises(DefinitionError, match=message):
        load_threshold_data(_document(**change))


def test_a_site_document_loads_into_usable_sets():
    measures, sets = load_threshold_data(_document())
    r = classify_change("odi", 46, 18, threshold_set=sets["ostelo2008"])
    assert (r.mcid, r.scb, r.threshold_set) == (True, None, "ostelo2008")
    assert set(measures) == set(MEASURES)


# --- batch == single ------------------------------------------------------------------------


def _score(measure):
    info = MEASURES[measure]
    low = info.min if info.min is not None else (-0.6 if measure == "eq5d5l_index" else 20)
    high = info.max if info.max is not None else 80
    grid = st.integers(int(low * 10), int(high * 10)).map(lambda v: v / 10)  # hits thresholds
    anywhere = st.floats(low, high, allow_nan=False)
    return st.one_of(grid, anywhere, st.none(), st.just(math.nan))


@st.composite
def _pairs(draw):
    measure = draw(st.sampled_from(sorted(MEASURES)))
    set_id = draw(st.sampled_from(sorted(THRESHOLD_SETS)))
    pairs = draw(st.lists(st.tuples(_score(measure), _score(measure)), min_size=1, max_size=30))
    return measure, set_id, pairs


def _same(single, batch):
    if single is None:
        return batch is pd.NA or (isinstance(batch, float) and math.isnan(batch))
    return single == batch


@settings(max_examples=300, deadline=None)
@given(_pairs())
def test_batch_equals_single_row_by_row(case):
    measure, set_id, pairs = case
    frame = classify_change_batch(measure, [b for b, _ in pairs], [f for _, f in pairs], set_id)
    assert list(frame.columns) == list(COLUMNS)
    for (baseline, followup), (_, row) in zip(pairs, frame.iterrows(), strict=True):
        single = classify_change(measure, baseline, followup, set_id)
        for column in COLUMNS:
            assert _same(getattr(single, column), row[column]), (column, baseline, followup)
        assert single.category in CATEGORIES


def test_batch_keeps_the_callers_index_and_uses_nullable_flags():
    baseline = pd.Series([46.0, None, 30.0], index=["p1", "p2", "p3"])
    frame = classify_change_batch("odi", baseline, [18.0, 10.0, 42.0])
    assert list(frame.index) == ["p1", "p2", "p3"]
    assert str(frame["mcid"].dtype) == "boolean"
    assert frame.loc["p2", "category"] == "not_assessable"
    assert frame["category"].tolist() == ["substantial_benefit", "not_assessable", "worsened"]


# --- cohort summary -------------------------------------------------------------------------


def test_summarise_gives_numerators_and_denominators():
    """Five ODI pairs, hand-classified with the default set (Ostelo / Glassman / van Hooff)."""
    odi = classify_change_batch(
        "odi",
        [46, 40, 30, None, 50],  # 4 assessable
        [18, 36, 42, 20, 35],
    )
    # 46→18: MCID, SCB, PASS.  40→36: nothing.  30→42: worsened.  50→35: MCID (15, 30 %).
    nrs = classify_change_batch("nrs_back", [8, 6], [3, 6])
    summary = summarise(pd.concat([odi, nrs]))
    s = summary["odi"]
    assert (s.n, s.n_assessable) == (5, 4)
    assert (s.mcid.numerator, s.mcid.denominator) == (2, 4)
    assert s.mcid.percent == 50.0
    assert (s.scb.numerator, s.pass_.numerator, s.worsened.numerator) == (1, 1, 1)
    assert s.categories["improved"] == 1 and s.categories["not_assessable"] == 1
    assert str(s.mcid) == "2/4 (50.0 %)"
    back = summary["nrs_back"]
    assert (back.mcid.numerator, back.mcid.denominator) == (1, 2)
    assert back.scb is None and back.pass_ is None  # no threshold of that kind: not 0 %
    assert back.to_dict()["mcid"] == {"numerator": 1, "denominator": 2, "percent": 50.0}


def test_summarise_refuses_other_tables():
    with pytest.raises(ThresholdError, match="not a classification table"):
        summarise(pd.DataFrame({"odi": [1, 2]}))
