"""Patient-facing wording of the preparation and recovery plans, as translatable templates.

Why templates and not finished strings: the web layer translates with Django's gettext, which the
core must not import. Every English template below is wrapped in a local ``gettext_noop`` so that
Django's ``makemessages`` (which extracts ``gettext_noop`` calls) finds them; a plan carries
``Text(key, params)`` objects that the web layer renders with ``text.render(translate=gettext)``.
Placeholders are named (``{drug}``), so translators can reorder them. Dates and times are passed as
values and formatted at render time, so a locale can format them its own way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Protocol, Union


def gettext_noop(message: str) -> str:
    """Mark a string for extraction by ``makemessages`` without translating it now."""
    return message


# The key is stable (code and tests refer to it); the value is the English text.
MESSAGES: Mapping[str, str] = {
    "literal": "{text}",
    # ---- general ----------------------------------------------------------------------
    "unless_told": gettext_noop("unless your care team tells you otherwise"),
    "when.on": gettext_noop("on {date}"),
    "when.no_later_than": gettext_noop("no later than {date}"),
    # ---- checklist --------------------------------------------------------------------
    "checklist.due": gettext_noop("{item}: by {due}."),
    "checklist.asap": gettext_noop("{item}: as soon as possible."),
    "checklist.overdue": gettext_noop(
        "{item}: this was due by {due}. If it is not done yet, call your care team today."
    ),
    "checklist.pre_op_assessment": gettext_noop("Pre-operative assessment (a health check)"),
    "checklist.labs": gettext_noop("Blood tests and other lab tests"),
    "checklist.imaging": gettext_noop("Scans and X-rays your surgeon asked for"),
    "checklist.education": gettext_noop("Surgery education session"),
    "checklist.help_at_home": gettext_noop(
        "Arrange help at home for the first weeks after surgery"
    ),
    "checklist.smoking_cessation": gettext_noop("Stop smoking (ask your care team for support)"),
    # ---- medication holds --------------------------------------------------------------
    "hold.listed": gettext_noop(
        "Take your last dose of {drug} {last_dose}. Do not take it on {skip_dates} or on the"
        " day of your surgery ({surgery_date}), unless your care team tells you otherwise."
    ),
    "hold.range": gettext_noop(
        "Take your last dose of {drug} {last_dose}. Do not take it from {first_skip} up to and"
        " including the day of your surgery ({surgery_date}), unless your care team tells you"
        " otherwise."
    ),
    "hold.day_of_surgery": gettext_noop(
        "Do not take {drug} on the day of your surgery ({surgery_date}). Your last dose is"
        " {last_dose}, unless your care team tells you otherwise."
    ),
    "hold.late": gettext_noop(
        "The plan was to take your last dose of {drug} {last_dose}, and that day has passed."
        " Call your care team today to ask what to do."
    ),
    "hold.restart": gettext_noop("Start {drug} again only when your care team tells you to."),
    "continue": gettext_noop(
        "Keep taking {drug} as usual, also on the day of your surgery, unless your care team"
        " tells you otherwise."
    ),
    "discuss.generic": gettext_noop(
        "Ask your care team whether you need to stop {drug} before surgery, and when."
    ),
    "discuss.glp1": gettext_noop(
        "Most people keep taking {drug} before surgery. Ask your care team whether you should"
        " pause it."
    ),
    "discuss.liquid_diet": gettext_noop(
        "If your care team asks you to have only liquids before surgery, start by {start}"
        " ({hours} hours before you arrive)."
    ),
    "discuss.crcl_missing": gettext_noop(
        "How long to pause {drug} before surgery depends on how well your kidneys work. Ask your"
        " care team for your dates."
    ),
    "unknown_medication": gettext_noop(
        "Ask your care team whether you need to stop {drug} before surgery, and when."
    ),
    "caution.heart": gettext_noop(
        "If you take {drug} because of a heart stent, a heart attack or a stroke, do not stop it"
        " until the doctor who prescribed it agrees."
    ),
    "caution.inr": gettext_noop(
        "Your care team will check your blood clotting (INR) before surgery."
    ),
    # drug names: generic names, translatable because some languages spell them differently
    "drug.aspirin": gettext_noop("aspirin"),
    "drug.clopidogrel": gettext_noop("clopidogrel"),
    "drug.prasugrel": gettext_noop("prasugrel"),
    "drug.ticagrelor": gettext_noop("ticagrelor"),
    "drug.warfarin": gettext_noop("warfarin"),
    "drug.apixaban": gettext_noop("apixaban"),
    "drug.rivaroxaban": gettext_noop("rivaroxaban"),
    "drug.edoxaban": gettext_noop("edoxaban"),
    "drug.dabigatran": gettext_noop("dabigatran"),
    "drug.ibuprofen": gettext_noop("ibuprofen"),
    "drug.diclofenac": gettext_noop("diclofenac"),
    "drug.celecoxib": gettext_noop("celecoxib"),
    "drug.ketorolac": gettext_noop("ketorolac"),
    "drug.etodolac": gettext_noop("etodolac"),
    "drug.indomethacin": gettext_noop("indomethacin"),
    "drug.sulindac": gettext_noop("sulindac"),
    "drug.naproxen": gettext_noop("naproxen"),
    "drug.meloxicam": gettext_noop("meloxicam"),
    "drug.nabumetone": gettext_noop("nabumetone"),
    "drug.oxaprozin": gettext_noop("oxaprozin"),
    "drug.piroxicam": gettext_noop("piroxicam"),
    "drug.liraglutide": gettext_noop("liraglutide"),
    "drug.semaglutide_oral": gettext_noop("semaglutide tablets"),
    "drug.semaglutide_injection": gettext_noop("semaglutide weekly injection"),
    "drug.dulaglutide": gettext_noop("dulaglutide"),
    "drug.canagliflozin": gettext_noop("canagliflozin"),
    "drug.dapagliflozin": gettext_noop("dapagliflozin"),
    "drug.empagliflozin": gettext_noop("empagliflozin"),
    "drug.ertugliflozin": gettext_noop("ertugliflozin"),
    "drug.herbal_supplements": gettext_noop("herbal supplements"),
    # ---- fasting ----------------------------------------------------------------------
    "fasting.intro": gettext_noop(
        "These times are counted back from your arrival time ({arrival}). Follow them unless"
        " your care team tells you otherwise."
    ),
    "fasting.fatty_meal": gettext_noop(
        "Fried or fatty food and meat take longer to leave the stomach. Have your last fried"
        " or fatty meal or meat by {time} ({hours} hours before you arrive), unless your care"
        " team tells you otherwise."
    ),
    "fasting.light_meal": gettext_noop(
        "Stop eating, and stop drinking milk or drinks with milk, by {time} ({hours} hours"
        " before you arrive), unless your care team tells you otherwise."
    ),
    "fasting.carbohydrate_drinks": gettext_noop(
        "If your care team recommends a clear carbohydrate drink, you may have it until {time}."
    ),
    "fasting.clear_liquids": gettext_noop(
        "You may drink clear liquids, such as water, until {time} ({hours} hours before you"
        " arrive). After that, do not drink anything unless your care team tells you otherwise."
    ),
    # ---- recovery ---------------------------------------------------------------------
    "recovery.week_title": gettext_noop("Week {week} after surgery ({start} to {end})"),
    "recovery.milestone_title": gettext_noop("{after} after surgery ({date})"),
    "recovery.restriction": gettext_noop(
        "Do not bend, twist your back, or lift anything heavier than {lift_lb} lb (about"
        " {lift_kg} kg), unless your surgeon tells you otherwise."
    ),
    "recovery.restriction_review": gettext_noop(
        "Ask your surgeon at your check-up whether you can start to ease the limits on"
        " bending, lifting and twisting."
    ),
    "recovery.restriction_end": gettext_noop(
        "The usual {weeks}-week limits on bending, lifting and twisting end around now, if"
        " your surgeon agrees."
    ),
    "recovery.walking": gettext_noop(
        "Walk several times a day and go a little further each week, as your care team advises."
    ),
    "recovery.walking_goal": gettext_noop(
        "Walking goal this week: about {minutes} minutes a day in total."
    ),
    "recovery.brace": gettext_noop(
        "If you were given a brace, wear it as your surgeon told you (for up to {duration})."
    ),
    "recovery.pt_start": gettext_noop(
        "Physical therapy usually starts around now, about {weeks} weeks after surgery. Ask"
        " your care team to arrange it if they have not yet."
    ),
    "recovery.no_driving": gettext_noop("Do not drive yet."),
    "recovery.driving": gettext_noop(
        "Many people can drive again {span} after surgery (from about"
        " {date}), once they no longer take opioid pain medicine and their surgeon agrees."
    ),
    "recovery.work": gettext_noop(
        "Going back to {work}: most people can between {earliest_date} and {latest_date}"
        " ({span} after surgery), if their surgeon agrees."
    ),
    "recovery.work_ask": gettext_noop("Ask your surgeon when you can go back to {work}."),
    "recovery.nsaids": gettext_noop(
        "Ask your surgeon before taking anti-inflammatory painkillers (NSAIDs, such as"
        " ibuprofen or naproxen). Many surgeons advise avoiding them for {span} after a"
        " fusion."
    ),
    "recovery.fusion_timeline": gettext_noop(
        "The bones take time to grow together (fusion): usually {span}. You"
        " may feel well before the bone has healed, so keep following your surgeon's advice."
    ),
    "recovery.fusion_progress": gettext_noop(
        "Your care team will check how the fusion is healing at your follow-up visits."
    ),
    "work.sedentary": gettext_noop("desk work"),
    "work.light": gettext_noop("light physical work"),
    "work.heavy": gettext_noop("heavy physical work"),
    "duration.days": gettext_noop("{n} days"),
    "duration.weeks": gettext_noop("{n} weeks"),
    "duration.months": gettext_noop("{n} months"),
    "duration.day": gettext_noop("1 day"),
    "duration.week": gettext_noop("1 week"),
    "duration.month": gettext_noop("1 month"),
    "range.days": gettext_noop("{earliest} to {latest} days"),
    "range.weeks": gettext_noop("{earliest} to {latest} weeks"),
    "range.months": gettext_noop("{earliest} to {latest} months"),
    "range.mixed": gettext_noop("{earliest} to {latest}"),
    # ---- red flags --------------------------------------------------------------------
    "redflag.call_now": gettext_noop("Call your care team now if you have: {symptom}."),
    "redflag.emergency": gettext_noop("Call the emergency number now if you have: {symptom}."),
    "redflag.fever": gettext_noop("a fever"),
    "redflag.wound_drainage": gettext_noop("fluid leaking from your wound"),
    "redflag.new_weakness_numbness": gettext_noop("new weakness or numbness in your legs"),
    "redflag.bladder_bowel": gettext_noop("loss of control of your bladder or bowels"),
    "redflag.calf_swelling": gettext_noop("swelling in a calf (lower leg)"),
    "redflag.chest_pain_breathlessness": gettext_noop("chest pain or shortness of breath"),
    # ---- calendar ---------------------------------------------------------------------
    "cal.surgery": gettext_noop("Surgery: arrive at {arrival}"),
    "cal.checklist": gettext_noop("Due: {item}"),
    "cal.last_dose": gettext_noop("Last dose of {drug} before surgery"),
    "cal.no_dose": gettext_noop("No {drug} (paused for surgery)"),
    "cal.restriction_end": gettext_noop("Bending, lifting and twisting limits usually end"),
    "cal.pt_start": gettext_noop("Physical therapy usually starts"),
    "cal.driving": gettext_noop("Driving may be possible from about now"),
    "cal.work": gettext_noop("Earliest usual return to {work}"),
    "cal.fusion": gettext_noop("Fusion healing check ({after} after surgery)"),
    "cal.calendar_name": gettext_noop("Surgery plan"),
    "cal.calendar_name_for": gettext_noop("Surgery plan for {name}"),
}

ParamValue = Union[str, int, float, date, datetime, time, "Text", tuple[date, ...]]


class Formatter(Protocol):
    """Formats dates and times for one locale (the web layer may supply a Babel-based one)."""

    def format_date(self, value: date) -> str: ...
    def format_time(self, value: time) -> str: ...
    def format_datetime(self, value: datetime) -> str: ...
    def format_date_list(self, values: Sequence[date]) -> str: ...


class EnglishFormatter:
    """British-style English: 'Mon 3 March', '07:00', 'Mon 3 March at 07:00', '4 and 5 March'."""

    def format_date(self, value: date) -> str:
        return f"{value:%a} {value.day} {value:%B}"

    def format_time(self, value: time) -> str:
        return f"{value:%H:%M}"

    def format_datetime(self, value: datetime) -> str:
        return f"{self.format_date(value.date())} at {self.format_time(value.time())}"

    def format_date_list(self, values: Sequence[date]) -> str:
        """Weekday and day for each date, month once per run: 'Tue 4 and Wed 5 March'."""
        parts: list[str] = []
        for i, value in enumerate(values):
            last_of_month = i == len(values) - 1 or values[i + 1].month != value.month
            text = f"{value:%a} {value.day}"
            parts.append(f"{text} {value:%B}" if last_of_month else text)
        if len(parts) <= 1:
            return "".join(parts)
        return ", ".join(parts[:-1]) + " and " + parts[-1]


ENGLISH = EnglishFormatter()


def _identity(message: str) -> str:
    return message


@dataclass(frozen=True)
class Text:
    """A message key with its parameters; render it late, in the reader's language."""

    key: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key not in MESSAGES:
            raise KeyError(f"no message template {self.key!r}")

    @classmethod
    def literal(cls, text: str) -> Text:
        """Wrap clinic-supplied wording (not translatable: it is not in the catalogue)."""
        return cls("literal", {"text": text})

    @property
    def template(self) -> str:
        return MESSAGES[self.key]

    def render(
        self,
        translate: Callable[[str], str] = _identity,
        formatter: Formatter = ENGLISH,
    ) -> str:
        values = {
            name: _format_value(value, translate, formatter) for name, value in self.params.items()
        }
        return translate(self.template).format(**values)

    def __str__(self) -> str:
        return self.render()


def _format_value(value: ParamValue, translate: Callable[[str], str], formatter: Formatter) -> str:
    if isinstance(value, Text):
        return value.render(translate, formatter)
    if isinstance(value, datetime):  # before date: datetime is a date subclass
        return formatter.format_datetime(value)
    if isinstance(value, date):
        return formatter.format_date(value)
    if isinstance(value, time):
        return formatter.format_time(value)
    if isinstance(value, tuple):
        return formatter.format_date_list(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
