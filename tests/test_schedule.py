"""Follow-up schedule: windows, statuses on explicit dates, response assignment, site schedules.

Time points from issue 2 §5. The default window widths are fusiontrack's reasoning (no registry
publishes its windows; see core/data/schedule_default.json), so these tests pin the documented
windows and the rules around them rather than an external reference.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusiontrack.core.errors import ScheduleError
from fusiontrack.core.schedule import (
    DEFAULT_SCHEDULE,
    STATUSES,
    Schedule,
    add_months,
    assign_timepoint,
    assign_timepoints,
    timepoint_statuses,
)
from fusiontrack.core.vocab import TIMEPOINTS, codes

SURGERY = date(2024, 1, 15)  # Jonas, single-level L4–L5 TLIF


def _status(code, as_of, surgery=SURGERY, **kwargs):
    (found,) = [s for s in timepoint_statuses(surgery, as_of, **kwargs) if s.code == code]
    return found


# --- default schedule -----------------------------------------------------------------------


def test_default_schedule_has_the_issue_time_points_each_with_a_reason():
    assert DEFAULT_SCHEDULE.codes == codes(TIMEPOINTS)
    assert all(tp.reason for tp in DEFAULT_SCHEDULE.timepoints)
    assert "SOURCE MISSING" in DEFAULT_SCHEDULE.about
    baseline = DEFAULT_SCHEDULE.get("baseline")
    assert (baseline.opens_days_before, baseline.closes_days_after) == (90, 0)  # issue 2 §5


def test_default_windows_for_jonas():
    """Surgery 2024-01-15 (a leap year): every due date and window, computed by hand."""
    rows = [
        (s.code, s.window_open, s.due_date, s.window_close)
        for s in timepoint_statuses(SURGERY, date(2024, 1, 1))
    ]
    assert rows == [
        ("baseline", date(2023, 10, 17), date(2024, 1, 15), date(2024, 1, 15)),
        ("6w", date(2024, 2, 12), date(2024, 2, 26), date(2024, 3, 18)),
        ("3m", date(2024, 3, 25), date(2024, 4, 15), date(2024, 5, 27)),
        ("6m", date(2024, 6, 3), date(2024, 7, 15), date(2024, 9, 13)),
        ("12m", date(2024, 10, 17), date(2025, 1, 15), date(2025, 4, 15)),
        ("24m", date(2025, 10, 17), date(2026, 1, 15), date(2026, 7, 14)),
    ]


# --- statuses at every boundary -------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (date(2024, 3, 24), "upcoming"),  # day before the window opens
        (date(2024, 3, 25), "open"),  # opening day
        (date(2024, 4, 15), "open"),  # due date
        (date(2024, 4, 16), "overdue"),  # day after the due date, window still open
        (date(2024, 5, 27), "overdue"),  # closing day
        (date(2024, 5, 28), "missed"),  # day after the window closes
    ],
)
def test_three_month_status_at_each_boundary(as_of, status):
    assert _status("3m", as_of).status == status


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (date(2024, 3, 2), "upcoming"),
        (date(2024, 3, 3), "open"),  # 90 days before surgery
        (date(2024, 6, 1), "open"),  # surgery day: still pre-operative
        (date(2024, 6, 2), "missed"),  # never overdue: after surgery a baseline is lost
    ],
)
def test_baseline_is_open_in_the_90_days_before_surgery(as_of, status):
    assert _status("baseline", as_of, surgery=date(2024, 6, 1)).status == status


def test_completed_wins_over_the_calendar_and_keeps_its_date():
    done = {"baseline": date(2024, 1, 2), "6w": date(2024, 4, 1)}  # 6w answered late
    rows = {s.code: s for s in timepoint_statuses(SURGERY, date(2024, 4, 20), completed=done)}
    assert rows["baseline"].status == "completed"
    assert rows["6w"].status == "completed"
    assert rows["6w"].completed_on == date(2024, 4, 1)
    assert rows["3m"].status == "overdue"
    assert [s.status for s in rows.values()] == [
        "completed", "completed", "overdue", "upcoming", "upcoming", "upcoming",
    ]  # fmt: skip
    assert set(STATUSES) >= {s.status for s in rows.values()}


def test_without_a_surgery_date_baseline_is_open_and_follow_ups_unscheduled():
    rows = timepoint_statuses(None, date(2024, 5, 1))
    assert [(s.code, s.status) for s in rows] == [
        ("baseline", "open"),
        ("6w", "upcoming"),
        ("3m", "upcoming"),
        ("6m", "upcoming"),
        ("12m", "upcoming"),
        ("24m", "upcoming"),
    ]
    assert all(s.due_date is None and s.window_open is None for s in rows)


# --- month arithmetic -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year: clamp to Feb 29
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize("months", [-3, -1, 1, 3, 6, 12, 24])
def test_add_months_against_pandas_dateoffset(months):
    """pandas' DateOffset(months=…) (dateutil semantics) is the batch helper's arithmetic; both
    must agree on every day of a full leap-year cycle."""
    days = pd.date_range("2023-01-01", "2027-12-31", freq="D")
    expected = (days + pd.DateOffset(months=months)).date
    assert [add_months(d, months) for d in days.date] == list(expected)


def test_month_end_surgery_due_dates():
    rows = {s.code: s.due_date for s in timepoint_statuses(date(2024, 1, 31), date(2024, 1, 1))}
    assert rows["3m"] == date(2024, 4, 30)
    assert rows["6m"] == date(2024, 7, 31)
    assert rows["12m"] == date(2025, 1, 31)
    leap = {s.code: s.due_date for s in timepoint_statuses(date(2024, 2, 29), date(2024, 1, 1))}
    assert (leap["12m"], leap["24m"]) == (date(2025, 2, 28), date(2026, 2, 28))


# --- assigning responses to time points -----------------------------------------------------


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (date(2023, 10, 16), None),  # 91 days before surgery: too early for baseline
        (date(2023, 10, 17), "baseline"),
        (SURGERY, "baseline"),
        (date(2024, 1, 16), None),  # first post-operative days belong to no time point
        (date(2024, 2, 12), "6w"),
        (date(2024, 3, 18), "6w"),
        (date(2024, 3, 19), None),  # gap between 6w and 3m windows
        (date(2024, 3, 25), "3m"),
        (date(2024, 9, 13), "6m"),
        (date(2024, 9, 20), None),  # ~8 months: neither 6 nor 12
        (date(2025, 4, 15), "12m"),
        (date(2026, 7, 14), "24m"),
        (date(2026, 7, 15), None),
    ],
)
def test_assign_timepoint_uses_the_window_that_contains_the_date(response, code):
    assert assign_timepoint(SURGERY, response) == code


def test_assign_without_surgery_date_is_provisional_baseline():
    assert assign_timepoint(None, date(2024, 1, 1)) == "baseline"


@st.composite
def _cohort(draw):
    size = draw(st.integers(1, 25))
    surgeries = draw(
        st.lists(
            st.one_of(st.none(), st.dates(date(2019, 1, 1), date(2031, 12, 31))),
            min_size=size,
            max_size=size,
        )
    )
    offsets = draw(
        st.lists(st.one_of(st.none(), st.integers(-120, 950)), min_size=size, max_size=size)
    )
    anchor = date(2025, 1, 1)
    responses = [
        None if off is None else (surgery or anchor) + timedelta(days=off)
        for surgery, off in zip(surgeries, offsets, strict=True)
    ]
    return surgeries, responses


@settings(max_examples=200, deadline=None)
@given(_cohort())
def test_assign_timepoints_batch_equals_single(cohort):
    surgeries, responses = cohort
    batch = assign_timepoints(surgeries, responses)
    single = [
        None if r is None else assign_timepoint(s, r)
        for s, r in zip(surgeries, responses, strict=True)
    ]
    assert batch.tolist() == single


def test_assign_timepoints_keeps_the_series_index():
    responses = pd.Series([date(2024, 4, 15), None], index=["r1", "r2"])
    out = assign_timepoints([SURGERY, SURGERY], responses)
    assert out.to_dict() == {"r1": "3m", "r2": None}


# --- site schedules -------------------------------------------------------------------------

SITE = {
    "id": "north",
    "label": "North Spine Centre",
    "timepoints": [
        {
            "code": "baseline",
            "target": {"days": 0},
            "opens_days_before": 60,
            "closes_days_after": 0,
        },
        {"code": "3m", "target": {"months": 3}, "opens_days_before": 14, "closes_days_after": 14},
        {"code": "12m", "target": {"months": 12}, "opens_days_before": 30, "closes_days_after": 60},
    ],
}


def test_custom_site_schedule_from_json():
    site = Schedule.from_json(json.dumps(SITE))
    assert site.codes == ("baseline", "3m", "12m")
    rows = timepoint_statuses(SURGERY, date(2024, 4, 20), schedule=site)
    assert [(s.code, s.status) for s in rows] == [
        ("baseline", "missed"),
        ("3m", "overdue"),
        ("12m", "upcoming"),
    ]
    assert rows[1].window_close == date(2024, 4, 29)
    assert assign_timepoint(SURGERY, date(2024, 4, 1), site) == "3m"
    assert assign_timepoint(SURGERY, date(2024, 3, 31), site) is None  # site window: ±14 days
    assert assign_timepoint(SURGERY, date(2024, 3, 31)) == "3m"  # default: 21 days before
    assert assign_timepoint(SURGERY, date(2023, 11, 1), site) is None  # 75 days: outside 60
    assert Schedule.from_dict(site.to_dict()) == site
    assert site.get("3m").label == "3 months"  # label from the vocabulary when not given


def test_custom_schedule_from_a_file(tmp_path):
    path = tmp_path / "north.json"
    path.write_text(json.dumps(SITE), encoding="utf-8")
    assert Schedule.from_json(path).id == "north"


def _site(index, key, value):
    doc = json.loads(json.dumps(SITE))
    doc["timepoints"][index][key] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_site(1, "opens_days_before", 120), "'3m' window .* overlaps the 'baseline'"),
        (_site(2, "target", {"months": 2}), "'12m' .* must come after '3m'"),
        (_site(1, "code", "9m"), "unknown time point '9m'"),
        (_site(2, "code", "3m"), "'3m' appears twice"),
        (_site(1, "closes_days_after", -1), "0 or more"),
        (_site(1, "closes_days_after", True), "whole number"),
        (_site(1, "closes_days_after", None), "whole number"),
        (_site(1, "target", {"month": 3}), "target must be an object"),
        (_site(1, "opens_day_before", 3), "unknown field.*opens_day_before"),
        ({"timepoints": []}, "has no time points"),
        ({"id": "x"}, "needs a 'timepoints' list"),
    ],
)
def test_invalid_schedules_are_refused_with_a_clear_message(doc, message):
    with pytest.raises(ScheduleError, match=message):
        Schedule.from_dict(doc)


def test_invalid_json_is_a_schedule_error():
    with pytest.raises(ScheduleError, match="cannot read the schedule"):
        Schedule.from_json("{not json")


def test_overlap_is_checked_for_every_surgery_date():
    """6w closes at day 42 + c; 3m opens at (3 calendar months − o), and 3 months can be as
    short as 89 days (28 Feb → 28 May 2023). c + o = 47 collides on such dates, 46 never does."""

    def two(close, opens):
        return {
            "timepoints": [
                {"code": "6w", "target": {"weeks": 6}, "opens_days_before": 0,
                 "closes_days_after": close},
                {"code": "3m", "target": {"months": 3}, "opens_days_before": opens,
                 "closes_days_after": 0},
            ]
        }  # fmt: skip

    Schedule.from_dict(two(21, 25))
    with pytest.raises(ScheduleError, match=r"overlaps .* e\.g\. for surgery on (\d{4}-\d\d-\d\d)"):
        Schedule.from_dict(two(21, 26))


# --- bad arguments --------------------------------------------------------------------------


def test_bad_arguments_give_schedule_errors():
    with pytest.raises(ScheduleError, match="as_of must be a calendar date"):
        timepoint_statuses(SURGERY, datetime(2024, 4, 1, 12, 0))
    with pytest.raises(ScheduleError, match="surgery_date must be a calendar date"):
        timepoint_statuses("2024-01-15", date(2024, 4, 1))
    with pytest.raises(ScheduleError, match="time point '9m' is not in schedule"):
        timepoint_statuses(SURGERY, date(2024, 4, 1), completed={"9m": date(2024, 4, 1)})
    with pytest.raises(ScheduleError, match="pair them one to one"):
        assign_timepoints([SURGERY], [SURGERY, SURGERY])
    with pytest.raises(ScheduleError, match="must be dates or empty"):
        assign_timepoints(["not a date"], [SURGERY])
