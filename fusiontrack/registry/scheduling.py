"""Adapter from the core's follow-up schedule to FollowUp rows and display statuses.

Windows come from ``fusiontrack.core.schedule`` (cited there); this module only reshapes them.
Display statuses computed here from stored dates must agree with the core's
``timepoint_statuses`` (a test checks it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

Window = tuple[str, dt.date, dt.date, dt.date]


def windows(surgery_date: dt.date) -> list[Window]:
    """(timepoint, due, window opens, window closes) for every scheduled time point."""
    from fusiontrack.core import schedule

    statuses = schedule.timepoint_statuses(
        surgery_date, surgery_date, {}, schedule.DEFAULT_SCHEDULE
    )
    return [
        (s.code, s.due_date, s.window_open, s.window_close)
        for s in statuses
        if s.due_date and s.window_open and s.window_close
    ]


def display_status(follow_up: Any, as_of: dt.date) -> str:
    """upcoming / open / overdue / missed / completed for a stored FollowUp on a given day."""
    if follow_up.status in {"completed", "missed"}:
        return str(follow_up.status)
    if as_of < follow_up.window_opens_on:
        return "upcoming"
    if as_of > follow_up.window_closes_on:
        return "missed"
    if as_of > follow_up.due_on:
        return "overdue"
    return "open"
