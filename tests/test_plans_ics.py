"""Calendar export (.ics): RFC 5545 structure, folding, escaping, stable UIDs, parse-back.

Persona: Maria (apixaban, aspirin), surgery Thu 6 March 2025, arrival 07:00; desk work.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import icalendar
import pytest

from fusiontrack.core.errors import PlanError
from fusiontrack.core.plans import (
    CalendarEvent,
    Text,
    plan_to_ics,
    preparation_plan,
    protocol_with_overrides,
    recovery_plan,
)

SURGERY = date(2025, 3, 6)
STAMP = datetime(2025, 2, 1, 9, 30, tzinfo=UTC)


def _plans(protocol=None):
    kwargs = {} if protocol is None else {"protocol": protocol}
    prep = preparation_plan(
        SURGERY, datetime(2025, 3, 6, 7, 0), ["apixaban", "aspirin", "tirzepatide"], **kwargs
    )
    return prep, recovery_plan(SURGERY, "sedentary", **kwargs)


def _events(ics):
    return {str(e["summary"]): e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")}


def test_calendar_parses_back_with_all_day_events():
    ics = plan_to_ics(list(_plans()), dtstamp=STAMP)
    cal = icalendar.Calendar.from_ical(ics)
    assert str(cal["version"]) == "2.0"
    events = _events(ics)
    no_apixaban = events["No apixaban (paused for surgery)"]
    assert no_apixaban["dtstart"].dt == date(2025, 3, 4)
    assert no_apixaban["dtend"].dt == date(2025, 3, 7)  # exclusive: through the day of surgery
    last = events["Last dose of apixaban before surgery"]
    assert (last["dtstart"].dt, last["dtend"].dt) == (date(2025, 3, 3), date(2025, 3, 4))
    assert events["Last dose of aspirin before surgery"]["dtstart"].dt == date(2025, 2, 26)
    surgery = events["Surgery: arrive at 07:00"]
    assert surgery["dtstart"].dt == SURGERY
    assert "Stop eating, and stop drinking milk" in str(surgery["description"])
    assert events["Physical therapy usually starts"]["dtstart"].dt == date(2025, 4, 17)
    assert events["Earliest usual return to desk work"]["dtstart"].dt == date(2025, 4, 3)
    assert all(e["dtstamp"].dt == STAMP for e in events.values())
    # the medicine nobody has a rule for gets no dates
    assert not any("tirzepatide" in s for s in events)


def test_uids_are_unique_and_stable_across_exports():
    first = plan_to_ics(list(_plans()), dtstamp=STAMP, uid_namespace="episode-17")
    again = plan_to_ics(
        list(_plans()), dtstamp=STAMP + timedelta(days=3), uid_namespace="episode-17"
    )
    other = plan_to_ics(list(_plans()), dtstamp=STAMP, uid_namespace="episode-18")

    def uids(ics):
        return [str(e["uid"]) for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")]

    assert len(set(uids(first))) == len(uids(first)) == 16
    assert uids(first) == uids(again)
    assert not set(uids(first)) & set(uids(other))
    assert all(uid.endswith("@fusiontrack.local") for uid in uids(first))


def test_crlf_line_endings_and_lines_of_at_most_75_octets():
    protocol = protocol_with_overrides(
        {
            "medications": {
                "aspirin": {
                    "label": "Acetylsalicylsäure (ASS), Aspirin® – bitte nur nach Rücksprache "
                    "mit Ärztin oder Arzt absetzen; Herzstent? ☎"
                }
            }
        }
    )
    ics = plan_to_ics(
        list(_plans(protocol)),
        dtstamp=STAMP,
        patient_display_name="Zoë Ångström-Müller, née Øster; \\ ünd sø wéiter " * 2,
    )
    assert ics.endswith("\r\n")
    assert "\n" not in ics.replace("\r\n", "")
    lines = ics.split("\r\n")[:-1]
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # something was folded
    events = _events(ics)
    assert any("Acetylsalicylsäure (ASS), Aspirin® – bitte" in s for s in events)


def test_commas_semicolons_backslashes_and_newlines_are_escaped():
    name = "Doe, Jane; \\ the\nsecond"
    ics = plan_to_ics(list(_plans()), dtstamp=STAMP, patient_display_name=name)
    unfolded = ics.replace("\r\n ", "")
    assert "X-WR-CALNAME:Surgery plan for Doe\\, Jane\\; \\\\ the\\nsecond\r\n" in unfolded
    events = _events(ics)
    description = str(events["Last dose of apixaban before surgery"]["description"])
    assert description.split("\n") == [
        "Take your last dose of apixaban on Mon 3 March. Do not take it on Tue 4 and Wed 5 March"
        " or on the day of your surgery (Thu 6 March), unless your care team tells you otherwise.",
        "Start apixaban again only when your care team tells you to.",
    ]
    assert "otherwise.\\nStart apixaban" in unfolded
    assert "(Thu 6 March)\\, unless" in unfolded


def test_appointments_the_plan_does_not_know_can_be_added():
    visit = CalendarEvent(
        "follow-up-6w",
        date(2025, 4, 17),
        date(2025, 4, 17),
        Text.literal("Follow-up visit, 10:30, Spine clinic"),
    )
    ics = plan_to_ics(_plans()[1], dtstamp=STAMP, extra_events=[visit])
    assert _events(ics)["Follow-up visit, 10:30, Spine clinic"]["dtstart"].dt == date(2025, 4, 17)


def test_translate_hook_reaches_the_calendar():
    catalogue = {"Last dose of {drug} before surgery": "Letzte Einnahme von {drug} vor der OP"}
    ics = plan_to_ics(_plans()[0], dtstamp=STAMP, translate=lambda s: catalogue.get(s, s))
    assert "Letzte Einnahme von apixaban vor der OP" in _events(ics)


def test_dtstamp_in_another_zone_is_written_in_utc():
    stamp = datetime(2025, 2, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    ics = plan_to_ics(_plans()[0], dtstamp=stamp)
    assert "DTSTAMP:20250201T093000Z" in ics


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plan_to_ics(_plans()[0], dtstamp=datetime(2025, 2, 1)), "time-zone-aware"),
        (lambda: plan_to_ics([], dtstamp=STAMP), "at least one plan"),
        (
            lambda: plan_to_ics(
                [_plans()[0], recovery_plan(date(2025, 3, 7), "heavy")], dtstamp=STAMP
            ),
            "same surgery date",
        ),
        (
            lambda: plan_to_ics([_plans()[0], _plans()[0]], dtstamp=STAMP),
            "share the key",
        ),
    ],
)
def test_bad_calendar_requests_get_clear_errors(call, message):
    with pytest.raises(PlanError, match=message):
        call()
