"""FHIR search parameters: parse ``patient``, ``date``, ``code``, ``_lastUpdated``, ``_count``.

Dates follow FHIR R4 search (http://hl7.org/fhir/R4/search.html#date): a value is a range at its
own precision (2024 = the whole year) and the prefixes eq, ne, lt, le, gt, ge, sa, eb compare the
stored value with that range; ``ap`` is treated as eq (documented simplification). A malformed
value or an unknown parameter is a 400 OperationOutcome naming it: silently ignoring a filter
would return more patient data than the client asked for.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from fusiontrack.fhir.outcome import FhirError, Issue

DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 10**9
#: Parameters every search accepts besides the resource type's own.
COMMON = frozenset({"_count", "_offset", "_format", "_lastUpdated"})

_DATE = re.compile(
    r"^(?P<prefix>eq|ne|lt|le|gt|ge|sa|eb|ap)?"
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class DateRange:
    prefix: str
    low: dt.datetime  # inclusive, UTC
    high: dt.datetime  # exclusive, UTC


def parse_date(name: str, raw: str) -> DateRange:
    match = _DATE.match(raw.strip())
    if match is None:
        raise FhirError(
            400,
            [
                Issue(
                    f"Search parameter {name}={raw!r} is not a FHIR date: use "
                    "[prefix]YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, prefixes "
                    "eq, ne, lt, le, gt, ge, sa, eb.",
                    expression=name,
                )
            ],
        )
    g = match.groupdict()
    try:
        year, month, day = int(g["year"]), int(g["month"] or 1), int(g["day"] or 1)
        if g["time"]:
            text = f"{g['year']}-{g['month']}-{g['day']}T{g['time']}{g['tz'] or 'Z'}"
            low = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
            step = dt.timedelta(seconds=1) if g["time"].count(":") == 2 else dt.timedelta(minutes=1)
            high = low + step
        else:
            low = dt.datetime(year, month, day, tzinfo=dt.UTC)
            if g["day"]:
                high = low + dt.timedelta(days=1)
            elif g["month"]:
                high = low + dt.timedelta(days=calendar.monthrange(year, month)[1])
            else:
                high = low.replace(year=year + 1)
    except OverflowError:
        raise FhirError(
            400, [Issue(f"Search parameter {name}={raw!r}: the date is too late.", expression=name)]
        ) from None
    except ValueError as exc:
        raise FhirError(
            400, [Issue(f"Search parameter {name}={raw!r}: {exc}.", expression=name)]
        ) from None
    return DateRange(g["prefix"] or "eq", low, high)


def date_q(field: str, ranges: Iterable[DateRange], *, is_date: bool) -> Q:
    """AND of every date parameter; ``is_date`` compares a DateField at day precision."""
    q = Q()
    for r in ranges:
        low: dt.date | dt.datetime = r.low
        high: dt.date | dt.datetime = r.high
        if is_date:
            low = r.low.date()
            high = r.high.date() if r.high.time() == dt.time(0) else r.high.date() + dt.timedelta(1)
        inside = Q(**{f"{field}__gte": low, f"{field}__lt": high})
        q &= {
            "eq": inside,
            "ap": inside,
            "ne": ~inside,
            "lt": Q(**{f"{field}__lt": low}),
            "eb": Q(**{f"{field}__lt": low}),
            "le": Q(**{f"{field}__lt": high}),
            "gt": Q(**{f"{field}__gte": high}),
            "sa": Q(**{f"{field}__gte": high}),
            "ge": Q(**{f"{field}__gte": low}),
        }[r.prefix]
    return q


def is_id_number(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts '²' and other digits ``int`` refuses."""
    return text.isascii() and text.isdigit()


def parse_patient(name: str, raw: str) -> int:
    """``Patient/12`` or ``12`` (a full URL ending in Patient/12 also works)."""
    value = raw.strip().rstrip("/")
    tail = value.rsplit("/", 2)
    if len(tail) >= 2 and tail[-2] != "Patient":
        tail = []
    ident = tail[-1] if tail else value
    if not is_id_number(ident):
        raise FhirError(
            400, [Issue(f"{name}={raw!r}: expected Patient/<id> or <id>.", expression=name)]
        )
    return int(ident)


def tokens(raw_values: Iterable[str]) -> list[list[str]]:
    """Each parameter occurrence is AND-ed; commas inside one are OR-ed."""
    return [[t for t in raw.split(",") if t.strip()] for raw in raw_values]


def parse_count(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_COUNT
    if not is_id_number(raw):
        raise FhirError(400, [Issue(f"_count={raw!r}: expected a whole number.", "_count")])
    return min(int(raw), MAX_COUNT)


def parse_offset(raw: str | None) -> int:
    if raw is None:
        return 0
    if not is_id_number(raw) or int(raw) > MAX_OFFSET:
        raise FhirError(
            400, [Issue(f"_offset={raw!r}: expected a whole number up to {MAX_OFFSET}.", "_offset")]
        )
    return int(raw)


def reject_unknown(params: Iterable[str], allowed: frozenset[str], resource_type: str) -> None:
    unknown = sorted(set(params) - allowed - COMMON)
    if unknown:
        known = ", ".join(sorted(allowed | COMMON))
        raise FhirError(
            400,
            [
                Issue(
                    f"{resource_type} does not support the search parameter {p}; "
                    f"supported: {known}.",
                    expression=p,
                    code="not-supported",
                )
                for p in unknown
            ],
        )
