"""The patient's own "before vs now": plain sentences, a small chart, the next questionnaire.

Numbers and thresholds come from ``fusiontrack.core.outcomes`` (each threshold with its source);
this module words them for a patient, translatably. The core's full English explanation
(``describe``) is kept as the detail under each sentence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fusiontrack.core import vocab
from fusiontrack.core.errors import FusiontrackError
from fusiontrack.core.outcomes import ChangeResult, classify_change, describe
from fusiontrack.core.outcomes.thresholds import format_number, get_measure
from fusiontrack.portal.wording import MEASURE_NAMES, MEASURE_TITLES, TIMEPOINT_SHORT
from fusiontrack.registry.models import FollowUp, QuestionnaireResponse
from fusiontrack.registry.panel import values_by_measure

TIMEPOINTS = vocab.codes(vocab.TIMEPOINTS)
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 320, 170, 38, 10, 10, 28


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str


@dataclass
class PatientChart:
    points: str = ""
    dots: list[Dot] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    description: str = ""
    width: int = WIDTH
    height: int = HEIGHT


@dataclass
class MeasureStory:
    measure: str
    title: str
    sentences: list[str]
    detail: str
    tone: str  # good, neutral, bad
    chart: PatientChart


def _amount(value: float, unit: str) -> str:
    number = format_number(value)
    if unit == "points":
        return ngettext("%(n)s point", "%(n)s points", 1 if value == 1 else 2) % {"n": number}
    return number


def _threshold_sentence(result: ChangeResult) -> str:
    absolute = [t for t in result.thresholds_of("mcid") if t.rule == "absolute_change"]
    if not absolute:
        return ""
    t = absolute[0]
    sentence = _("A change of %(amount)s or more is one most patients notice (%(source)s).") % {
        "amount": _amount(t.value, t.unit),
        "source": t.citation.short,
    }
    if not t.verified:
        sentence += " " + _("This number has not yet been checked against the original study.")
    return sentence


def _outcome_sentence(result: ChangeResult) -> tuple[str, str]:
    if result.category in {"substantial_benefit", "improved"}:
        return _("That is an improvement most patients notice."), "good"
    if result.category == "unchanged":
        return _("That change is smaller than one most patients notice."), "neutral"
    if result.category == "worsened":
        return (
            _("That is worse than before. If you are worried, please talk to your care team."),
            "bad",
        )
    return "", "neutral"


def story(measure: str, values: dict[str, float]) -> MeasureStory | None:
    """Sentences for one measure, or None when the patient has no value for it."""
    if not values:
        return None
    m = get_measure(measure)
    name = str(MEASURE_NAMES.get(measure, m.short))
    baseline = values.get("baseline")
    later = [tp for tp in TIMEPOINTS if tp != "baseline" and tp in values]
    better = _("Lower is better.") if m.lower_is_better else _("Higher is better.")
    sentences: list[str] = []
    detail, tone = "", "neutral"
    if baseline is not None and later:
        latest = values[later[-1]]
        try:
            result = classify_change(measure, baseline, latest)
        except FusiontrackError:
            return None
        sentences.append(
            _("Your %(name)s went from %(before)s to %(after)s.")
            % {
                "name": name,
                "before": m.format_value(baseline, with_unit=False),
                "after": m.format_value(latest, with_unit=False),
            }
            + " "
            + better
        )
        outcome, tone = _outcome_sentence(result)
        for sentence in (outcome, _threshold_sentence(result)):
            if sentence:
                sentences.append(sentence)
        detail = describe(result)
    elif baseline is not None:
        sentences.append(
            _(
                "Your %(name)s before surgery was %(value)s. We will compare it with your answers "
                "after surgery."
            )
            % {"name": name, "value": m.format_value(baseline, with_unit=False)}
            + " "
            + better
        )
    else:
        latest = values[later[-1]]
        sentences.append(
            _(
                "Your latest %(name)s is %(value)s. There is no score from before surgery to "
                "compare it with."
            )
            % {"name": name, "value": m.format_value(latest, with_unit=False)}
        )
    title = str(MEASURE_TITLES.get(measure, m.label))
    return MeasureStory(measure, title, sentences, detail, tone, chart(measure, values, title))


def chart(measure: str, values: dict[str, float], title: str) -> PatientChart:
    m = get_measure(measure)
    series = [(tp, values[tp]) for tp in TIMEPOINTS if tp in values]
    low = m.min if m.min is not None else min([v for _, v in series] + [0.0])
    high = m.max if m.max is not None else max([v for _, v in series] + [1.0])
    if high <= low:
        high = low + 1
    step = (WIDTH - LEFT - RIGHT) / (len(TIMEPOINTS) - 1)

    def x(tp: str) -> float:
        return round(LEFT + TIMEPOINTS.index(tp) * step, 1)

    def y(v: float) -> float:
        clamped = min(max(v, low), high)
        return round(TOP + (high - clamped) / (high - low) * (HEIGHT - TOP - BOTTOM), 1)

    result = PatientChart()
    result.dots = [
        Dot(x(tp), y(v), f"{TIMEPOINT_SHORT[tp]}: {m.format_value(v, with_unit=False)}")
        for tp, v in series
    ]
    result.points = " ".join(f"{d.x},{d.y}" for d in result.dots)
    result.x_ticks = [(x(tp), str(TIMEPOINT_SHORT[tp])) for tp in TIMEPOINTS]
    result.y_ticks = [(y(v), format_number(v)) for v in (low, (low + high) / 2, high)]
    better = _("lower is better") if m.lower_is_better else _("higher is better")
    listed = ", ".join(d.label for d in result.dots)
    result.description = f"{title} ({better}): {listed}."
    return result


def stories(episode: Any) -> list[MeasureStory]:
    responses = list(QuestionnaireResponse.objects.filter(episode=episode))
    by_measure = values_by_measure(responses)
    out = []
    for measure in MEASURE_NAMES:
        told = story(measure, by_measure.get(measure, {}))
        if told is not None:
            out.append(told)
    return out


def next_questionnaire(episode: Any, today: dt.date) -> FollowUp | None:
    """The next pending time point whose window has not opened yet."""
    return (
        FollowUp.objects.filter(episode=episode, status="pending", window_opens_on__gt=today)
        .order_by("due_on")
        .first()
    )
