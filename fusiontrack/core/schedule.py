"""The follow-up schedule: when each questionnaire is due and whether it is open, overdue or missed.

Time points (issue 2 §5): baseline within 90 days before surgery, then 6 weeks, 3, 6, 12 and 24
months after. The default windows and the reasoning behind them (no registry publishes its
windows; see the file) live in `core/data/schedule_default.json`; a site may load its own with
`Schedule.from_dict` / `Schedule.from_json`.

Definitions, all dates inclusive and computed in local calendar dates:

* target (due date) = surgery + months (calendar months, clamped to the month end, so
  2024-01-31 + 1 month = 2024-02-29 and 2023-01-31 + 1 month = 2023-02-28) + weeks/days;
* window = [target − opens_days_before, target + closes_days_after];
* status on `as_of`: ``upcoming`` before the window opens; ``open`` from the opening day up to
  and including the due date; ``overdue`` after the due date while the window is still open;
  ``missed`` after the window closes; ``completed`` whenever a completion is recorded for it
  (even outside the window: the caller decides what counts, see `assign_timepoint`);
* without a surgery date, pre-operative time points (baseline) are ``open`` and the others
  ``upcoming`` with no dates: nothing can be scheduled yet.

A response is assigned to the time point whose window contains its date (`assign_timepoint`);
outside every window it is assigned to none (None), because a 9-month answer is neither a
6-month nor a 12-month result and registry analyses compare like with like. Windows are
validated never to overlap, for every possible surgery date, so the assignment is unambiguous.

`as_of` is always explicit: nothing here calls date.today().
"""

from __future__ import annotations

import calendar
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.core.errors import ScheduleError
from fusiontrack.core.vocab import TIMEPOINTS, codes, label

Status = Literal["upcoming", "open", "overdue", "missed", "completed"]
STATUSES: tuple[Status, ...] = ("upcoming", "open", "overdue", "missed", "completed")
_NO_COMPLETIONS: Mapping[str, date] = MappingProxyType({})
_TARGET_KEYS = frozenset({"months", "weeks", "days"})
_TIMEPOINT_KEYS = frozenset(
    {"code", "label", "target", "opens_days_before", "closes_days_after", "reason"}
)
# Every pattern of month lengths (leap and common years) occurs in these four years, so the
# smallest gap between two windows over this cycle is the smallest gap for any surgery date.
_CYCLE_START, _CYCLE_DAYS = date(2024, 1, 1), 4 * 365 + 1


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic, clamped to the month end (2024-01-31 + 1 = 2024-02-29).

    Same rule as dateutil's relativedelta and pandas' DateOffset(months=…), which the batch
    helper uses; `tests/test_schedule.py` checks the two agree on every day of a leap cycle.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScheduleError(f"{what} must be a whole number, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Offset:
    """Calendar months then days after surgery (negative = before). Weeks are stored as days."""

    months: int = 0
    days: int = 0

    def apply(self, surgery: date) -> date:
        return add_months(surgery, self.months) + timedelta(days=self.days)

    @property
    def preoperative(self) -> bool:
        return self.months <= 0 and self.days <= 0

    def describe(self) -> str:
        if self.months and not self.days:
            return f"{self.months} months"
        if self.days % 7 == 0 and self.days and not self.months:
            return f"{self.days // 7} weeks"
        return f"{self.months} months {self.days} days" if self.months else f"{self.days} days"

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Offset:
        if not isinstance(data, Mapping) or not data or set(data) - _TARGET_KEYS:
            raise ScheduleError(
                f"{where}: target must be an object with months, weeks and/or days, got {data!r}"
            )
        months = _int(data.get("months", 0), f"{where}: target months")
        weeks = _int(data.get("weeks", 0), f"{where}: target weeks")
        days = _int(data.get("days", 0), f"{where}: target days")
        return cls(months=months, days=7 * weeks + days)


@dataclass(frozen=True)
class TimepointWindow:
    """One time point: its target after surgery and how many days either side it is open."""

    code: str
    label: str
    target: Offset
    opens_days_before: int
    closes_days_after: int
    reason: str = ""

    @property
    def preoperative(self) -> bool:
        return self.target.preoperative

    def due(self, surgery: date) -> date:
        return self.target.apply(surgery)

    def window(self, surgery: date) -> tuple[date, date]:
        due = self.due(surgery)
        return (
            due - timedelta(days=self.opens_days_before),
            due + timedelta(days=self.closes_days_after),
        )


@lru_cache(maxsize=64)
def _month_shift(months: int) -> NDArray[np.int64]:
    """Days from s to s + `months` calendar months for every s in the reference cycle."""
    starts = pd.date_range(_CYCLE_START, periods=_CYCLE_DAYS, freq="D")
    shifted = starts + pd.DateOffset(months=months)
    return np.asarray((shifted - starts).days, dtype=np.int64)


def _day_offsets(tp: TimepointWindow, edge: int) -> NDArray[np.int64]:
    return _month_shift(tp.target.months) + tp.target.days + edge


def _validate_order(timepoints: tuple[TimepointWindow, ...]) -> None:
    for earlier, later in itertools.pairwise(timepoints):
        target_gap = _day_offsets(later, 0) - _day_offsets(earlier, 0)
        if target_gap.min() <= 0:
            raise ScheduleError(
                f"time point {later.code!r} ({later.target.describe()}) must come after "
                f"{earlier.code!r} ({earlier.target.describe()}); list time points in order"
            )
        gap = _day_offsets(later, -later.opens_days_before) - _day_offsets(
            earlier, earlier.closes_days_after
        )
        if gap.min() <= 0:
            example = _CYCLE_START + timedelta(days=int(gap.argmin()))
            raise ScheduleError(
                f"the {later.code!r} window (opens {later.opens_days_before} days before "
                f"{later.target.describe()}) overlaps the {earlier.code!r} window (closes "
                f"{earlier.closes_days_after} days after {earlier.target.describe()}), e.g. for "
                f"surgery on {example.isoformat()}; shorten one so every response belongs to "
                "one time point"
            )


@dataclass(frozen=True)
class Schedule:
    """A site's follow-up schedule: ordered, non-overlapping time point windows."""

    id: str
    label: str
    timepoints: tuple[TimepointWindow, ...]
    about: str = ""
    _by_code: Mapping[str, TimepointWindow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.timepoints:
            raise ScheduleError(f"schedule {self.id!r} has no time points; add at least one")
        seen: dict[str, TimepointWindow] = {}
        for tp in self.timepoints:
            if tp.code not in codes(TIMEPOINTS):
                raise ScheduleError(
                    f"unknown time point {tp.code!r}; use one of {', '.join(codes(TIMEPOINTS))} "
                    "(new codes are added to fusiontrack.core.vocab.TIMEPOINTS first)"
                )
            if tp.code in seen:
                raise ScheduleError(f"time point {tp.code!r} appears twice in {self.id!r}")
            if tp.opens_days_before < 0 or tp.closes_days_after < 0:
                raise ScheduleError(
                    f"time point {tp.code!r}: opens_days_before and closes_days_after must be "
                    "0 or more"
                )
            seen[tp.code] = tp
        _validate_order(self.timepoints)
        object.__setattr__(self, "_by_code", MappingProxyType(seen))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._by_code)

    def get(self, code: str) -> TimepointWindow:
        try:
            return self._by_code[code]
        except KeyError:
            raise ScheduleError(
                f"time point {code!r} is not in schedule {self.id!r} ({', '.join(self.codes)})"
            ) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Build and validate a schedule from the shape of `core/data/schedule_default.json`."""
        if not isinstance(data, Mapping) or not isinstance(data.get("timepoints"), list):
            raise ScheduleError("a schedule needs a 'timepoints' list")
        timepoints = []
        for i, entry in enumerate(data["timepoints"]):
            where = f"time point {i + 1}"
            if not isinstance(entry, Mapping) or "code" not in entry:
                raise ScheduleError(f"{where}: needs a 'code'")
            where = f"time point {entry['code']!r}"
            unknown = set(entry) - _TIMEPOINT_KEYS
            if unknown:
                raise ScheduleError(
                    f"{where}: unknown field(s) {', '.join(sorted(unknown))}; allowed: "
                    f"{', '.join(sorted(_TIMEPOINT_KEYS))}"
                )
            code = str(entry["code"])
            timepoints.append(
                TimepointWindow(
                    code=code,
                    label=str(entry.get("label") or label(TIMEPOINTS, code)),
                    target=Offset.from_dict(entry.get("target"), where),
                    opens_days_before=_int(
                        entry.get("opens_days_before"), f"{where}: opens_days_before"
                    ),
                    closes_days_after=_int(
                        entry.get("closes_days_after"), f"{where}: closes_days_after"
                    ),
                    reason=str(entry.get("reason", "")),
                )
            )
        return cls(
            id=str(data.get("id", "site")),
            label=str(data.get("label", "Site schedule")),
            timepoints=tuple(timepoints),
            about=str(data.get("about", "")),
        )

    @classmethod
    def from_json(cls, source: str | Path) -> Schedule:
        """From a JSON file path, or a JSON string (anything starting with '{')."""
        try:
            if isinstance(source, str) and source.lstrip().startswith("{"):
                text = source
            else:
                text = Path(source).read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, json.JSONDecodeError) as exc:
            raise ScheduleError(f"cannot read the schedule: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "about": self.about,
            "timepoints": [
                {
                    "code": tp.code,
                    "label": tp.label,
                    "target": {"months": tp.target.months, "days": tp.target.days},
                    "opens_days_before": tp.opens_days_before,
                    "closes_days_after": tp.closes_days_after,
                    "reason": tp.reason,
                }
                for tp in self.timepoints
            ],
        }


def _load_default() -> Schedule:
    text = resources.files("fusiontrack.core").joinpath("data", "schedule_default.json")
    return Schedule.from_json(text.read_text(encoding="utf-8"))


DEFAULT_SCHEDULE = _load_default()


@dataclass(frozen=True)
class TimepointStatus:
    """Where one time point stands on `as_of`; dates are None while surgery is unscheduled."""

    code: str
    label: str
    status: Status
    due_date: date | None
    window_open: date | None
    window_close: date | None
    completed_on: date | None = None


def _date(value: Any, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ScheduleError(
            f"{what} must be a calendar date (datetime.date, local to the site), got {value!r}"
        )
    return date(value.year, value.month, value.day)


def _optional_date(value: Any, what: str) -> date | None:
    return None if value is None else _date(value, what)


def timepoint_statuses(
    surgery_date: date | None,
    as_of: date,
    completed: Mapping[str, date] = _NO_COMPLETIONS,
    schedule: Schedule = DEFAULT_SCHEDULE,
) -> list[TimepointStatus]:
    """The status of every time point of `schedule` on `as_of`, in schedule order."""
    surgery = _optional_date(surgery_date, "surgery_date")
    today = _date(as_of, "as_of")
    for code, when in completed.items():
        schedule.get(code)
        _date(when, f"completion date of {code!r}")
    out = []
    for tp in schedule.timepoints:
        done = completed.get(tp.code)
        if surgery is None:
            status: Status = "open" if tp.preoperative else "upcoming"
            due = opens = closes = None
        else:
            due = tp.due(surgery)
            opens, closes = tp.window(surgery)
            if today < opens:
                status = "upcoming"
            elif today <= due:
                status = "open"
            elif today <= closes:
                status = "overdue"
            else:
                status = "missed"
        if done is not None:
            status = "completed"
        out.append(TimepointStatus(tp.code, tp.label, status, due, opens, closes, done))
    return out


def assign_timepoint(
    surgery_date: date | None, response_date: date, schedule: Schedule = DEFAULT_SCHEDULE
) -> str | None:
    """The time point whose window contains `response_date`; None outside every window.

    Without a surgery date a response is provisionally the baseline (the first pre-operative
    time point): re-assign once surgery is scheduled.
    """
    surgery = _optional_date(surgery_date, "surgery_date")
    response = _date(response_date, "response_date")
    if surgery is None:
        return next((tp.code for tp in schedule.timepoints if tp.preoperative), None)
    for tp in schedule.timepoints:
        opens, closes = tp.window(surgery)
        if opens <= response <= closes:
            return tp.code
    return None


def _datetimes(values: Iterable[Any], what: str) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(list(values), errors="raise")).normalize()
    except (TypeError, ValueError) as exc:
        raise ScheduleError(f"{what} must be dates or empty ({exc})") from None


def assign_timepoints(
    surgery_dates: Iterable[date | None],
    response_dates: Iterable[date | None],
    schedule: Schedule = DEFAULT_SCHEDULE,
) -> pd.Series:
    """Vectorised `assign_timepoint` for a cohort: one code (or None) per response.

    A missing response date gives None; a missing surgery date gives the provisional baseline,
    as in the single version. Calendar months use pandas' DateOffset, which clamps to the month
    end exactly like dateutil's relativedelta (tested).
    """
    surgery = _datetimes(surgery_dates, "surgery dates")
    response = _datetimes(response_dates, "response dates")
    if len(surgery) != len(response):
        raise ScheduleError(
            f"{len(surgery)} surgery dates but {len(response)} response dates; pair them one to one"
        )
    out = np.full(len(response), None, dtype=object)
    unassigned = ~np.asarray(response.isna())
    preop = next((tp.code for tp in schedule.timepoints if tp.preoperative), None)
    no_surgery = np.asarray(surgery.isna())
    out[unassigned & no_surgery] = preop
    unassigned &= ~no_surgery
    for tp in schedule.timepoints:
        due = surgery + pd.DateOffset(months=tp.target.months) + pd.Timedelta(days=tp.target.days)
        opens = due - pd.Timedelta(days=tp.opens_days_before)
        closes = due + pd.Timedelta(days=tp.closes_days_after)
        inside = unassigned & np.asarray((response >= opens) & (response <= closes))
        out[inside] = tp.code
        unassigned &= ~inside
    index = response_dates.index if isinstance(response_dates, pd.Series) else None
    return pd.Series(out, index=index, dtype=object, name="timepoint")
