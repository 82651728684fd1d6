"""The clinic protocol: cited defaults, validation with field names, and site overrides."""

from __future__ import annotations

import json

import pytest

from fusiontrack.core.errors import ProtocolError
from fusiontrack.core.plans import (
    DEFAULT_PROTOCOL,
    default_protocol_data,
    load_protocol,
    merge_overrides,
    preparation_plan,
    protocol_with_overrides,
)
from fusiontrack.core.plans.protocol import STATUSES_NEEDING_CITATIONS

# ---- every default is cited ------------------------------------------------------------------


def test_every_default_has_an_evidence_status_and_a_citation_or_says_source_missing():
    entries = list(DEFAULT_PROTOCOL.evidence_entries())
    assert len(entries) == 56
    for path, evidence in entries:
        if evidence.status in STATUSES_NEEDING_CITATIONS:
            assert evidence.citations, path
            for key in evidence.citations:
                source = DEFAULT_PROTOCOL.sources[key]
                assert source.authors and (source.journal or source.publisher), key
        else:
            assert evidence.status == "no_source", path
            assert "SOURCE MISSING" in evidence.note, path


def test_the_unsourced_defaults_are_exactly_the_known_gaps():
    unsourced = {p for p, e in DEFAULT_PROTOCOL.evidence_entries() if e.status == "no_source"}
    assert unsourced == {
        *(f"checklist.{c}.evidence" for c in DEFAULT_PROTOCOL.checklist),
        "medications.edoxaban.evidence",
        "recovery.walking.evidence",
        "recovery.return_to_work.light.evidence",
        "recovery.fusion_timeline.evidence",
        *(f"recovery.red_flags.{c}.evidence" for c in DEFAULT_PROTOCOL.recovery.red_flags),
    }


def test_every_journal_source_has_a_year():
    for key, source in DEFAULT_PROTOCOL.sources.items():
        if source.journal:
            assert source.year, key


# (code, hold days, evidence status) as in shared/notes/verified-facts.md §9.
VERIFIED_FACTS_HOLDS = {
    "warfarin": (5, "confirmed"),
    "apixaban": (2, "confirmed"),
    "rivaroxaban": (2, "confirmed"),
    "clopidogrel": (5, "corroborated"),
    "prasugrel": (7, "corroborated"),
    "ticagrelor": (5, "corroborated"),
    "aspirin": (7, "corroborated"),
    "ibuprofen": (1, "corroborated"),
    "naproxen": (4, "weak"),
    "canagliflozin": (3, "corroborated"),
    "dapagliflozin": (3, "corroborated"),
    "empagliflozin": (3, "corroborated"),
    "ertugliflozin": (4, "corroborated"),
    "herbal_supplements": (14, "weak"),
}


@pytest.mark.parametrize(("code", "expected"), sorted(VERIFIED_FACTS_HOLDS.items()))
def test_default_holds_against_verified_facts(code, expected):
    """shared/notes/verified-facts.md §9 (PAUSE, ACCP 2012/2022, AHA/ACC, FDA 2020, ASA)."""
    rule = DEFAULT_PROTOCOL.medications[code]
    assert (rule.hold_days, rule.evidence.status) == expected


def test_dabigatran_crcl_bands_against_douketis_2019_pause():
    """PAUSE high-bleeding-risk: CrCl >= 50 mL/min 2 days, CrCl < 50 4 days."""
    bands = DEFAULT_PROTOCOL.medications["dabigatran"].crcl_bands
    assert bands is not None
    assert [(b.crcl_at_least, b.hold_days) for b in bands] == [(50, 2), (0, 4)]


def test_naproxen_note_records_the_3_vs_4_day_disagreement():
    note = DEFAULT_PROTOCOL.medications["naproxen"].evidence.note
    assert "4 d" in note and "3 d" in note and "disagree" in note


def test_glp1_defaults_follow_the_2024_multisociety_guidance():
    for code in ("liraglutide", "semaglutide_oral", "semaglutide_injection", "dulaglutide"):
        rule = DEFAULT_PROTOCOL.medications[code]
        assert rule.action == "discuss"
        assert rule.liquid_diet_hours == 24
        assert rule.evidence.citations[0] == "kindel_2024_glp1"
    assert DEFAULT_PROTOCOL.medications["liraglutide"].hold_days == 0
    assert DEFAULT_PROTOCOL.medications["dulaglutide"].hold_days == 7


def test_fatty_meal_note_keeps_the_may_be_needed_wording():
    rules = DEFAULT_PROTOCOL.fasting.rules
    assert rules.fatty_meal is not None
    assert "may be needed" in rules.fatty_meal.evidence.note


def test_recovery_defaults_are_marked_practice_based_with_huntoon():
    restriction = DEFAULT_PROTOCOL.recovery.restriction
    assert restriction.evidence.status == "practice_based"
    assert "huntoon_2022" in restriction.evidence.citations
    assert "surgeons vary: Huntoon 2022" in restriction.evidence.note


def test_cite_gives_a_staff_readable_line():
    line = DEFAULT_PROTOCOL.cite(DEFAULT_PROTOCOL.medications["apixaban"].evidence)
    assert line.startswith(
        "confirmed — Douketis JD, Spyropoulos AC, Duncan J, et al. 2019, JAMA Intern Med — PAUSE"
    )


# ---- validation names the field --------------------------------------------------------------


def _with(change):
    data = default_protocol_data()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: d["medications"]["apixaban"].update(hold_days=-1),
            "medications.apixaban.hold_days",
        ),
        (
            lambda d: d["medications"]["apixaban"].update(hold_days="2"),
            "medications.apixaban.hold_days",
        ),
        (
            lambda d: d["medications"]["apixaban"].update(hold_dayz=2),
            "medications.apixaban.hold_dayz",
        ),
        (lambda d: d["medications"]["aspirin"].pop("hold_days"), "medications.aspirin"),
        (
            lambda d: d["medications"]["dabigatran"].update(
                crcl_bands=[
                    {"crcl_at_least": 0, "hold_days": 4},
                    {"crcl_at_least": 50, "hold_days": 2},
                ]
            ),
            "medications.dabigatran",
        ),
        (
            lambda d: d["fasting"]["rules"]["clear_liquids"].update(hours_before=0),
            "fasting.rules.clear_liquids.hours_before",
        ),
        (
            lambda d: d["checklist"]["labs"]["evidence"].update(note="TODO"),
            "checklist.labs.evidence",
        ),
        (
            lambda d: d["medications"]["warfarin"]["evidence"].update(citations=[]),
            "medications.warfarin.evidence",
        ),
        (
            lambda d: d["recovery"]["driving"].update(earliest="6w", latest="2w"),
            "recovery.driving",
        ),
        (
            lambda d: d["recovery"]["physical_therapy"].update(start_week="six"),
            "recovery.physical_therapy.start_week",
        ),
        (
            lambda d: d["recovery"]["brace"].update(up_to="3 months"),
            "recovery.brace.up_to",
        ),
        (
            lambda d: d["medications"]["warfarin"]["evidence"].update(citations=["nobody_2099"]),
            "medications.warfarin.evidence.citations",
        ),
        (
            lambda d: d["medications"].update(
                tirzepatide={
                    "drug_class": "glp1_ra",
                    "action": "discuss",
                    "evidence": {"status": "site_protocol"},
                }
            ),
            "medications.tirzepatide.label",
        ),
    ],
)
def test_invalid_protocol_names_the_field(change, field):
    with pytest.raises(ProtocolError) as caught:
        load_protocol(_with(change))
    assert caught.value.field == field
    assert field in str(caught.value)
    assert "Fix these fields" in str(caught.value)


def test_all_problems_are_reported_at_once():
    def two_mistakes(d):
        d["medications"]["apixaban"]["hold_days"] = -1
        d["recovery"]["weekly_until_week"] = 0

    with pytest.raises(ProtocolError) as caught:
        load_protocol(_with(two_mistakes))
    fields = [f for f, _ in caught.value.problems]
    assert fields == ["medications.apixaban.hold_days", "recovery.weekly_until_week"]


def test_protocol_file_errors_are_clear(tmp_path):
    broken = tmp_path / "site.json"
    broken.write_text('{"medications": {', encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"not valid JSON: .* line 1"):
        load_protocol(broken)
    with pytest.raises(ProtocolError, match="Cannot read"):
        load_protocol(tmp_path / "missing.json")
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(ProtocolError, match="JSON object"):
        load_protocol(listed)


# ---- site overrides ----------------------------------------------------------------------------


def test_override_of_a_value_marks_it_as_the_sites_and_keeps_the_rest():
    protocol = protocol_with_overrides({"medications": {"apixaban": {"hold_days": 3}}})
    apixaban = protocol.medications["apixaban"]
    assert apixaban.hold_days == 3
    assert apixaban.evidence.status == "site_protocol"
    assert protocol.medications["rivaroxaban"] == DEFAULT_PROTOCOL.medications["rivaroxaban"]
    assert DEFAULT_PROTOCOL.medications["apixaban"].hold_days == 2


def test_override_of_wording_only_keeps_the_citation():
    protocol = protocol_with_overrides({"medications": {"aspirin": {"label": "ASA (aspirin)"}}})
    assert protocol.medications["aspirin"].evidence.status == "corroborated"


def test_override_that_brings_its_own_evidence_keeps_it():
    protocol = protocol_with_overrides(
        {
            "medications": {
                "ibuprofen": {
                    "hold_days": 7,
                    "evidence": {
                        "status": "practice_based",
                        "citations": ["coe_svspine"],
                        "note": "Our surgeons stop all NSAIDs a week before.",
                    },
                }
            }
        }
    )
    assert protocol.medications["ibuprofen"].hold_days == 7
    assert protocol.medications["ibuprofen"].evidence.citations == ("coe_svspine",)


def test_null_removes_an_entry_and_new_entries_are_the_sites():
    protocol = protocol_with_overrides(
        {
            "medications": {
                "herbal_supplements": None,
                "tirzepatide": {
                    "drug_class": "glp1_ra",
                    "action": "discuss",
                    "label": "tirzepatide",
                },
            },
            "checklist": {"dental_check": {"due_days_before": 30, "label": "Dental check"}},
        }
    )
    assert "herbal_supplements" not in protocol.medications
    assert protocol.medications["tirzepatide"].evidence.status == "site_protocol"
    assert protocol.checklist["dental_check"].evidence.status == "site_protocol"


def test_overrides_load_from_a_file(tmp_path):
    site = tmp_path / "site.json"
    site.write_text(json.dumps({"recovery": {"restriction": {"weeks": 8}}}), encoding="utf-8")
    protocol = protocol_with_overrides(site)
    assert protocol.recovery.restriction.weeks == 8
    assert protocol.recovery.restriction.evidence.status == "site_protocol"


def test_merge_does_not_touch_its_inputs():
    base = default_protocol_data()
    override = {"medications": {"apixaban": {"hold_days": 3}}}
    merged = merge_overrides(base, override)
    assert base["medications"]["apixaban"]["hold_days"] == 2
    assert override == {"medications": {"apixaban": {"hold_days": 3}}}
    assert merged["medications"]["apixaban"]["hold_days"] == 3


def test_site_protocol_drives_the_plan():
    protocol = protocol_with_overrides({"medications": {"ibuprofen": {"hold_days": 7}}})
    from datetime import date, datetime

    plan = preparation_plan(date(2025, 3, 6), datetime(2025, 3, 6, 7, 0), ["ibuprofen"], protocol)
    assert plan.medications[0].last_dose == date(2025, 2, 26)
