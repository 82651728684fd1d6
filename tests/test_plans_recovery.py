"""Recovery plan: weeks, milestones, work ranges, red flags.

Personas: Tom lifts boxes in a warehouse (heavy work), Priya works at a desk (sedentary); both
are operated on Thu 6 March 2025. Lena, a cook (light work), is operated on 31 August 2024.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from fusiontrack.core.errors import PlanError
from fusiontrack.core.plans import (
    add_duration,
    add_months,
    protocol_with_overrides,
    recovery_plan,
    week_number,
)

SURGERY = date(2025, 3, 6)


def _lines(entry):
    return [str(line) for line in entry.lines]


def _week(plan, n):
    return plan.weeks[n - 1]


def _weeks_with(plan, fragment):
    return [e.week for e in plan.weeks if any(fragment in line for line in _lines(e))]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2024, 11, 15), 3, date(2025, 2, 15)),  # across the year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 3, 6), 12, date(2026, 3, 6)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_durations_in_days_weeks_and_months():
    assert add_duration(SURGERY, "10d") == date(2025, 3, 16)
    assert add_duration(SURGERY, "6w") == date(2025, 4, 17)
    assert add_duration(SURGERY, "3m") == date(2025, 6, 6)


def test_weeks_start_on_the_day_of_surgery():
    assert week_number(SURGERY, SURGERY) == 1
    assert week_number(SURGERY, date(2025, 3, 12)) == 1
    assert week_number(SURGERY, date(2025, 3, 13)) == 2
    with pytest.raises(PlanError):
        week_number(SURGERY, date(2025, 3, 5))


def test_tom_heavy_work_week_by_week_against_spine_health_defaults():
    """Defaults (practice-based, Spine-health; surgeons vary, Huntoon 2022): no bending, lifting
    over 10 lb or twisting for 12 weeks with a review at 6; PT from 6 weeks; driving 2-4 weeks
    once off opioids; strenuous work 3-6 months."""
    plan = recovery_plan(SURGERY, "heavy")
    assert len(plan.weeks) == 12
    assert (plan.weeks[0].start, plan.weeks[0].end) == (date(2025, 3, 6), date(2025, 3, 12))
    assert (plan.weeks[-1].start, plan.weeks[-1].end) == (date(2025, 5, 22), date(2025, 5, 28))
    assert str(plan.weeks[0].title) == "Week 1 after surgery (Thu 6 March to Wed 12 March)"

    assert _weeks_with(plan, "Do not bend") == list(range(1, 13))
    assert _lines(_week(plan, 1))[0] == (
        "Do not bend, twist your back, or lift anything heavier than 10 lb (about 4.5 kg),"
        " unless your surgeon tells you otherwise."
    )
    assert _weeks_with(plan, "ease the limits") == [7]
    assert _weeks_with(plan, "Physical therapy usually starts") == [7]
    assert _weeks_with(plan, "Do not drive yet.") == [1, 2]
    assert _weeks_with(plan, "drive again") == [3]
    assert (
        "Many people can drive again 2 to 4 weeks after surgery (from about Thu 20 March)"
        in (_lines(_week(plan, 3))[-1])
    )
    assert _weeks_with(plan, "Walk several times a day") == list(range(1, 13))

    milestones = [(m.start, str(m.title)) for m in plan.milestones]
    assert milestones == [
        (date(2025, 5, 29), "12 weeks after surgery (Thu 29 May)"),
        (date(2025, 6, 6), "3 months after surgery (Fri 6 June)"),
        (date(2025, 9, 6), "6 months after surgery (Sat 6 September)"),
        (date(2026, 3, 6), "12 months after surgery (Fri 6 March)"),
    ]
    assert _lines(plan.milestones[1]) == [
        "Going back to heavy physical work: most people can between Fri 6 June and Sat 6"
        " September (3 to 6 months after surgery), if their surgeon agrees."
    ]


def test_priya_desk_work_lands_in_week_5():
    """Spine-health: 'By 4 to 6 weeks … most patients are cleared to return to … work that
    does not involve physical labor'."""
    plan = recovery_plan(SURGERY, "sedentary")
    assert _weeks_with(plan, "Going back to desk work") == [5]
    assert (
        "between Thu 3 April and Thu 17 April (4 to 6 weeks after surgery)"
        in _lines(_week(plan, 5))[-1]
    )


def test_light_work_has_no_cited_range_so_the_patient_asks():
    plan = recovery_plan(date(2024, 8, 31), "light")
    assert "Ask your surgeon when you can go back to light physical work." in _lines(_week(plan, 1))


def test_not_working_gets_no_work_lines():
    plan = recovery_plan(SURGERY, "none")
    every_line = [line for entry in plan.entries for line in _lines(entry)]
    assert not any("work" in line and "Going back" in line for line in every_line)


def test_lena_fusion_timeline_across_a_short_february():
    plan = recovery_plan(date(2024, 8, 31), "light")
    dates = [m.start for m in plan.milestones]
    assert date(2025, 2, 28) in dates  # 6 months after 31 August
    assert date(2025, 8, 31) in dates
    assert "usually 6 to 12 months" in _lines(_week(plan, 1))[-1]


def test_red_flags_emergencies_first():
    plan = recovery_plan(SURGERY, "heavy")
    assert [str(flag.text) for flag in plan.red_flags] == [
        "Call the emergency number now if you have: loss of control of your bladder or bowels.",
        "Call the emergency number now if you have: chest pain or shortness of breath.",
        "Call your care team now if you have: a fever.",
        "Call your care team now if you have: fluid leaking from your wound.",
        "Call your care team now if you have: new weakness or numbness in your legs.",
        "Call your care team now if you have: swelling in a calf (lower leg).",
    ]


def test_clinic_overrides_change_the_weeks():
    protocol = protocol_with_overrides(
        {
            "recovery": {
                "weekly_until_week": 6,
                "restriction": {"weeks": 8, "review_week": None, "lift_limit_lb": 15},
                "walking": {"minutes_by_week": {"1": 10, "2": 20}},
                "red_flags": {"headache": {"urgency": "call_now", "label": "a severe headache"}},
            }
        }
    )
    plan = recovery_plan(SURGERY, "sedentary", protocol)
    assert len(plan.weeks) == 6
    assert "heavier than 15 lb (about 6.8 kg)" in _lines(_week(plan, 1))[0]
    assert _weeks_with(plan, "Walking goal this week: about 10 minutes") == [1]
    assert _weeks_with(plan, "Walking goal this week: about 20 minutes") == [2]
    assert _weeks_with(plan, "ease the limits") == []
    titles = [str(m.title) for m in plan.milestones]
    assert titles[:2] == [
        "6 weeks after surgery (Thu 17 April)",  # PT start moved out of the weekly part
        "8 weeks after surgery (Thu 1 May)",
    ]
    assert "Call your care team now if you have: a severe headache." in [
        str(f.text) for f in plan.red_flags
    ]


def test_bad_inputs_get_clear_errors():
    with pytest.raises(PlanError, match="Unknown kind of work 'office'"):
        recovery_plan(SURGERY, "office")
    with pytest.raises(PlanError, match="must be a date"):
        recovery_plan(datetime(2025, 3, 6, 8, 0), "heavy")


def test_every_recovery_line_renders():
    for kind in ("sedentary", "light", "heavy", "none"):
        plan = recovery_plan(SURGERY, kind)
        for entry in plan.entries:
            assert "{" not in str(entry.title)
            assert all(line and "{" not in line for line in _lines(entry))
