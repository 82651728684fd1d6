"""Preparation plan: medication holds as dates, fasting as clock times, the checklist.

Personas: Maria takes apixaban and has surgery on Thu 6 March 2025, arriving at 07:00;
Jon takes several drugs and is operated on Fri 1 March 2024, the day after a leap day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fusiontrack.core.errors import PlanError
from fusiontrack.core.plans import (
    DEFAULT_PROTOCOL,
    MESSAGES,
    Text,
    hold_dates,
    preparation_plan,
    protocol_with_overrides,
)

MARIA_SURGERY = date(2025, 3, 6)
MARIA_ARRIVAL = datetime(2025, 3, 6, 7, 0)


def _med(plan, code):
    (found,) = [m for m in plan.medications if m.code == code]
    return found


def test_apixaban_hold_against_douketis_2019_pause():
    """PAUSE (Douketis 2019, JAMA Intern Med): high-bleeding-risk procedure, omit apixaban 2 days
    before: no dose on day -2, -1 or 0, so the last dose is on day -3."""
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["apixaban"])
    apixaban = _med(plan, "apixaban")
    assert apixaban.last_dose == date(2025, 3, 3)
    assert apixaban.skip_dates == (date(2025, 3, 4), date(2025, 3, 5), date(2025, 3, 6))
    assert str(apixaban.text) == (
        "Take your last dose of apixaban on Mon 3 March. Do not take it on Tue 4 and Wed 5 March"
        " or on the day of your surgery (Thu 6 March), unless your care team tells you otherwise."
    )
    assert [str(t) for t in apixaban.extra] == [
        "Start apixaban again only when your care team tells you to."
    ]


def test_warfarin_hold_against_douketis_2012_accp():
    """ACCP 2012 (Douketis, Chest): stop VKAs 5 days before surgery: 5 warfarin-free days
    before the day of surgery, last dose on day -6, and an INR check."""
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["warfarin"])
    warfarin = _med(plan, "warfarin")
    assert warfarin.last_dose == date(2025, 2, 28)
    assert warfarin.skip_dates[0] == date(2025, 3, 1)
    assert str(warfarin.text) == (
        "Take your last dose of warfarin on Fri 28 February. Do not take it from Sat 1 March up"
        " to and including the day of your surgery (Thu 6 March), unless your care team tells"
        " you otherwise."
    )
    assert "Your care team will check your blood clotting (INR) before surgery." in [
        str(t) for t in warfarin.extra
    ]


# Jon: surgery Fri 1 March 2024, right after the leap day. (code, CrCl, expected last dose)
LEAP_DAY_SURGERY = date(2024, 3, 1)
LEAP_DAY_CASES = [
    ("aspirin", None, date(2024, 2, 22)),  # 7 d
    ("clopidogrel", None, date(2024, 2, 24)),  # 5 d
    ("prasugrel", None, date(2024, 2, 22)),  # 7 d
    ("ticagrelor", None, date(2024, 2, 24)),  # 5 d
    ("warfarin", None, date(2024, 2, 24)),  # 5 d
    ("apixaban", None, date(2024, 2, 27)),  # 2 d: no dose 28, 29 Feb, 1 Mar
    ("rivaroxaban", None, date(2024, 2, 27)),  # 2 d
    ("dabigatran", 80.0, date(2024, 2, 27)),  # CrCl >= 50: 2 d
    ("dabigatran", 50.0, date(2024, 2, 27)),  # the band includes 50
    ("dabigatran", 49.9, date(2024, 2, 25)),  # CrCl < 50: 4 d
    ("ibuprofen", None, date(2024, 2, 28)),  # 1 d: no dose on 29 Feb and 1 Mar
    ("diclofenac", None, date(2024, 2, 28)),
    ("celecoxib", None, date(2024, 2, 28)),
    ("ketorolac", None, date(2024, 2, 26)),  # 3 d
    ("etodolac", None, date(2024, 2, 26)),
    ("indomethacin", None, date(2024, 2, 26)),
    ("sulindac", None, date(2024, 2, 26)),
    ("naproxen", None, date(2024, 2, 25)),  # 4 d (3 in Global Spine J)
    ("meloxicam", None, date(2024, 2, 25)),
    ("nabumetone", None, date(2024, 2, 25)),
    ("oxaprozin", None, date(2024, 2, 23)),  # 6 d
    ("piroxicam", None, date(2024, 2, 19)),  # 10 d
    ("canagliflozin", None, date(2024, 2, 26)),  # 3 d
    ("dapagliflozin", None, date(2024, 2, 26)),
    ("empagliflozin", None, date(2024, 2, 26)),
    ("ertugliflozin", None, date(2024, 2, 25)),  # 4 d
    ("herbal_supplements", None, date(2024, 2, 15)),  # 14 d
]


@pytest.mark.parametrize(("code", "crcl", "last_dose"), LEAP_DAY_CASES)
def test_every_held_drug_counts_days_across_the_leap_day(code, crcl, last_dose):
    plan = preparation_plan(LEAP_DAY_SURGERY, datetime(2024, 3, 1, 7, 30), [code], crcl_ml_min=crcl)
    med = _med(plan, code)
    assert med.action == "hold"
    assert med.last_dose == last_dose
    assert med.skip_dates[0] == last_dose + timedelta(days=1)
    assert med.skip_dates[-1] == LEAP_DAY_SURGERY
    assert len(med.skip_dates) == med.hold_days + 1
    assert date(2024, 2, 29) in med.skip_dates


@pytest.mark.parametrize(
    ("code", "surgery", "last_dose"),
    [
        ("apixaban", date(2025, 3, 1), date(2025, 2, 26)),  # no leap day: 27, 28 Feb, 1 Mar off
        ("warfarin", date(2025, 3, 1), date(2025, 2, 23)),
        ("aspirin", date(2025, 1, 2), date(2024, 12, 25)),  # across the new year
        ("ertugliflozin", date(2025, 1, 2), date(2024, 12, 28)),
        ("herbal_supplements", date(2025, 1, 10), date(2024, 12, 26)),
        ("clopidogrel", date(2024, 5, 1), date(2024, 4, 25)),  # across a 30-day month end
        ("ibuprofen", date(2024, 8, 1), date(2024, 7, 30)),  # across a 31-day month end
    ],
)
def test_hold_dates_cross_month_and_year_ends(code, surgery, last_dose):
    plan = preparation_plan(surgery, datetime.combine(surgery, datetime.min.time()), [code])
    assert _med(plan, code).last_dose == last_dose


def test_hold_of_zero_days_skips_only_the_day_of_surgery():
    assert hold_dates(date(2024, 3, 1), 0) == (date(2024, 2, 29), (date(2024, 3, 1),))


def test_negative_hold_is_refused():
    with pytest.raises(PlanError):
        hold_dates(date(2024, 3, 1), -1)


def test_as_needed_drug_is_worded_no_later_than():
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["naproxen"])
    assert str(_med(plan, "naproxen").text).startswith(
        "Take your last dose of naproxen no later than Sat 1 March. Do not take it from Sun 2"
        " March up to and including the day of your surgery (Thu 6 March)"
    )


def test_dabigatran_without_crcl_tells_patient_to_ask_and_flags_staff():
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["dabigatran"])
    med = _med(plan, "dabigatran")
    assert med.action == "discuss"
    assert med.last_dose is None and med.skip_dates == ()
    assert "depends on how well your kidneys work" in str(med.text)
    assert any("creatinine clearance" in note for note in plan.review_notes)


def test_glp1_default_is_discuss_with_liquid_diet_time_against_kindel_2024():
    """Multisociety guidance (Kindel 2024, Surg Obes Relat Dis): most patients continue GLP-1
    RAs; higher-risk patients may have a liquid diet for >= 24 h before the procedure."""
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["semaglutide_injection"])
    med = _med(plan, "semaglutide_injection")
    assert med.action == "discuss"
    assert med.last_dose is None
    assert str(med.text) == (
        "Most people keep taking semaglutide weekly injection before surgery. Ask your care team"
        " whether you should pause it."
    )
    assert [str(t) for t in med.extra] == [
        "If your care team asks you to have only liquids before surgery, start by Wed 5 March at"
        " 07:00 (24 hours before you arrive)."
    ]


def test_clinic_can_switch_glp1_to_the_asa_2023_hold():
    """ASA 2023 (Joshi, news release): 'consider holding' daily GLP-1 on the day of surgery,
    weekly ones a week before."""
    protocol = protocol_with_overrides(
        {
            "medications": {
                "semaglutide_injection": {"action": "hold"},
                "liraglutide": {"action": "hold"},
            }
        }
    )
    plan = preparation_plan(
        MARIA_SURGERY, MARIA_ARRIVAL, ["semaglutide_injection", "liraglutide"], protocol
    )
    weekly = _med(plan, "semaglutide_injection")
    assert weekly.last_dose == date(2025, 2, 26)
    assert "no later than Wed 26 February" in str(weekly.text)
    assert weekly.evidence is not None and weekly.evidence.status == "site_protocol"
    daily = _med(plan, "liraglutide")
    assert daily.skip_dates == (MARIA_SURGERY,)
    assert str(daily.text) == (
        "Do not take liraglutide on the day of your surgery (Thu 6 March). Your last dose is on"
        " Wed 5 March, unless your care team tells you otherwise."
    )


def test_edoxaban_has_no_default_hold_because_pause_did_not_study_it():
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["edoxaban"])
    med = _med(plan, "edoxaban")
    assert med.action == "discuss"
    assert med.last_dose is None
    assert med.evidence is not None and med.evidence.status == "no_source"
    assert str(med.text) == (
        "Ask your care team whether you need to stop edoxaban before surgery, and when."
    )


def test_medicine_not_in_protocol_becomes_ask_your_care_team():
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["  Tirzepatide ", "tirzepatide"])
    (med,) = plan.medications
    assert med.code == "tirzepatide"
    assert med.action == "unknown"
    assert str(med.text) == (
        "Ask your care team whether you need to stop tirzepatide before surgery, and when."
    )
    assert plan.review_notes == (
        "tirzepatide: not in the clinic protocol; the patient is told to ask the care team.",
    )


def test_antiplatelets_carry_the_heart_stent_caution():
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["clopidogrel", "aspirin"])
    for code in ("clopidogrel", "aspirin"):
        assert any("heart stent" in str(t) for t in _med(plan, code).extra)


def test_questions_come_first_then_holds_by_last_dose_date():
    plan = preparation_plan(
        MARIA_SURGERY, MARIA_ARRIVAL, ["apixaban", "tirzepatide", "aspirin", "ibuprofen"]
    )
    assert [m.code for m in plan.medications] == ["tirzepatide", "aspirin", "apixaban", "ibuprofen"]


def test_late_plan_tells_patient_to_call_instead_of_giving_a_past_date():
    plan = preparation_plan(
        MARIA_SURGERY, MARIA_ARRIVAL, ["aspirin", "apixaban"], as_of=date(2025, 3, 2)
    )
    aspirin = _med(plan, "aspirin")
    assert aspirin.late
    assert str(aspirin.text) == (
        "The plan was to take your last dose of aspirin on Wed 26 February, and that day has"
        " passed. Call your care team today to ask what to do."
    )
    assert not _med(plan, "apixaban").late
    assert "aspirin: the last-dose day has passed; contact the patient." in plan.review_notes
    overdue = [item.code for item in plan.checklist if item.overdue]
    assert overdue == ["imaging", "education", "labs", "pre_op_assessment", "help_at_home"]


# ---- fasting -------------------------------------------------------------------------------


def test_fasting_times_against_asa_2017_and_2023():
    """ASA 2017 (Anesthesiology 126:376): clear liquids 2 h, light meal and non-human milk 6 h,
    fatty food 'additional time (e.g., 8 or more hours) may be needed'. ASA 2023 (Joshi,
    Anesthesiology 138:132): carbohydrate clear liquids until 2 h."""
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, [])
    times = {f.code: f.until for f in plan.fasting}
    assert times == {
        "fatty_meal": datetime(2025, 3, 5, 23, 0),
        "light_meal": datetime(2025, 3, 6, 1, 0),
        "carbohydrate_drinks": datetime(2025, 3, 6, 5, 0),
        "clear_liquids": datetime(2025, 3, 6, 5, 0),
    }
    assert [str(f.text) for f in plan.fasting][1] == (
        "Stop eating, and stop drinking milk or drinks with milk, by Thu 6 March at 01:00"
        " (6 hours before you arrive), unless your care team tells you otherwise."
    )
    assert str(plan.fasting_intro) == (
        "These times are counted back from your arrival time (Thu 6 March at 07:00). Follow them"
        " unless your care team tells you otherwise."
    )


def test_fasting_across_midnight_and_new_year():
    plan = preparation_plan(date(2025, 1, 1), datetime(2025, 1, 1, 5, 30), [])
    times = {f.code: f.until for f in plan.fasting}
    assert times["light_meal"] == datetime(2024, 12, 31, 23, 30)
    assert times["fatty_meal"] == datetime(2024, 12, 31, 21, 30)
    assert times["clear_liquids"] == datetime(2025, 1, 1, 3, 30)


def test_fasting_counts_real_hours_across_a_daylight_saving_change():
    """Berlin clocks go forward at 02:00 on 30 March 2025: 6 real hours before 07:00 CEST is
    00:00 CET, not 01:00."""
    berlin = ZoneInfo("Europe/Berlin")
    arrival = datetime(2025, 3, 30, 7, 0, tzinfo=berlin)
    plan = preparation_plan(date(2025, 3, 30), arrival, [])
    light = next(f for f in plan.fasting if f.code == "light_meal")
    assert light.until == datetime(2025, 3, 30, 0, 0, tzinfo=berlin)
    assert light.until.utcoffset() == timedelta(hours=1)


def test_fasting_rule_can_be_switched_off_by_the_clinic():
    protocol = protocol_with_overrides({"fasting": {"rules": {"carbohydrate_drinks": None}}})
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, [], protocol)
    assert [f.code for f in plan.fasting] == ["fatty_meal", "light_meal", "clear_liquids"]


# ---- checklist and input checks -------------------------------------------------------------


def test_checklist_due_dates_from_the_default_protocol():
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, [])
    due = {item.code: item.due for item in plan.checklist}
    assert due == {
        "smoking_cessation": None,
        "imaging": date(2025, 2, 13),
        "education": date(2025, 2, 20),
        "labs": date(2025, 2, 20),
        "pre_op_assessment": date(2025, 2, 20),
        "help_at_home": date(2025, 2, 27),
    }
    assert str(plan.checklist[0].text) == (
        "Stop smoking (ask your care team for support): as soon as possible."
    )


def test_arrival_must_be_on_the_surgery_day_or_the_evening_before():
    preparation_plan(MARIA_SURGERY, datetime(2025, 3, 5, 19, 0), [])
    with pytest.raises(PlanError, match="not on the surgery date"):
        preparation_plan(MARIA_SURGERY, datetime(2025, 3, 16, 7, 0), [])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"medications": "aspirin"}, "list of medication codes"),
        ({"medications": [""]}, "empty"),
        ({"medications": [], "crcl_ml_min": -5.0}, "outside"),
    ],
)
def test_bad_inputs_get_clear_errors(kwargs, message):
    with pytest.raises(PlanError, match=message):
        preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, **kwargs)


# ---- wording ---------------------------------------------------------------------------------


def test_every_template_renders_with_the_web_layers_translate_hook():
    catalogue = {"aspirin": "Acetylsalicylsäure", "on {date}": "am {date}"}
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, ["aspirin"])
    text = _med(plan, "aspirin").text.render(translate=lambda s: catalogue.get(s, s))
    assert text.startswith("Take your last dose of Acetylsalicylsäure am Wed 26 February.")


def test_every_patient_facing_line_of_a_full_plan_renders():
    every_drug = [*DEFAULT_PROTOCOL.medications, "tirzepatide"]
    plan = preparation_plan(MARIA_SURGERY, MARIA_ARRIVAL, every_drug, crcl_ml_min=42.0)
    lines = [str(i.text) for i in plan.checklist] + [str(f.text) for f in plan.fasting]
    for med in plan.medications:
        lines += [str(med.text), *map(str, med.extra)]
    assert all(line and "{" not in line for line in lines)
    unless = [m for m in plan.medications if m.action == "hold"]
    assert all("unless your care team tells you otherwise" in str(m.text) for m in unless)


def test_message_keys_refuse_typos():
    with pytest.raises(KeyError):
        Text("hold.nonexistent")
    assert MESSAGES["literal"] == "{text}"


def test_skipped_days_across_a_month_end_name_both_months():
    plan = preparation_plan(date(2025, 3, 2), datetime(2025, 3, 2, 7, 0), ["apixaban"])
    assert "Do not take it on Fri 28 February and Sat 1 March or on the day of your surgery" in (
        str(plan.medications[0].text)
    )
