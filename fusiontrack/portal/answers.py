"""One instrument as a patient page: the questions to show, and the answers read from a POST.

The core owns what an answer may be (``Item.options`` or ``minimum``/``maximum``); this module
turns the definition into large-tap-target choices and turns a bad answer into a plain sentence.
Licensed instruments ship only section titles and anchor statements (see their licence notice),
so an option shows its anchor statement when the definition has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

#: A numeric scale with at most this many whole-number steps is shown as choices (NRS 0–10);
#: a longer one (EQ VAS 0–100) as a number box.
MAX_SCALE_CHOICES = 11


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


@dataclass
class Question:
    item_id: str
    name: str
    title: str
    kind: str  # "choices", "scale" or "number"
    choices: list[Choice] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    value: str = ""
    low_anchor: str = ""
    high_anchor: str = ""
    error: str = ""

    @property
    def answered(self) -> bool:
        return self.value != ""


def _fmt(value: float) -> str:
    return f"{value:g}"


def option_value(value: float | str) -> str:
    """How an option travels in the form: 2, not 2.0."""
    return _fmt(float(value)) if isinstance(value, int | float) else str(value)


def _stored(value: float | str) -> float | int | str:
    """Whole numbers are stored as int so drafts and responses read naturally (2, not 2.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _option_label(option: Any, anchors: Mapping[str, str]) -> str:
    anchor = (
        anchors.get(_fmt(float(option.value))) if isinstance(option.value, int | float) else None
    )
    label = str(option.label)
    return f"{label} — {anchor}" if anchor else label


def questions(instrument: Any, answers: Mapping[str, Any]) -> list[Question]:
    """The page's questions with the saved answers filled in."""
    out: list[Question] = []
    for item in instrument.items:
        saved = answers.get(item.id)
        value = "" if saved is None else option_value(saved)
        anchors = dict(item.anchors or {})
        title = item.text or item.label
        q = Question(
            item_id=item.id, name=f"item_{item.id}", title=title, kind="number", value=value
        )
        if item.options:
            q.kind = "choices"
            q.choices = [
                Choice(
                    option_value(o.value), _option_label(o, anchors), option_value(o.value) == value
                )
                for o in item.options
            ]
        else:
            q.minimum, q.maximum = item.minimum, item.maximum
            steps = None
            if item.minimum is not None and item.maximum is not None and (item.step or 1) == 1:
                steps = int(item.maximum - item.minimum) + 1
            if steps is not None and steps <= MAX_SCALE_CHOICES:
                q.kind = "scale"
                q.choices = [
                    Choice(_fmt(v), _fmt(v), _fmt(v) == value)
                    for v in (item.minimum + i for i in range(steps))
                ]
            if item.minimum is not None:
                q.low_anchor = anchors.get(_fmt(item.minimum), "")
            if item.maximum is not None:
                q.high_anchor = anchors.get(_fmt(item.maximum), "")
        out.append(q)
    return out


def read_answers(instrument: Any, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(valid answers, {item id: plain-language error}) from a page POST. Blank means skipped."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in instrument.items:
        raw = str(data.get(f"item_{item.id}", "")).strip()
        if raw == "":
            continue
        if item.options:
            match = next((o.value for o in item.options if option_value(o.value) == raw), None)
            if match is None:
                errors[item.id] = _("Please choose one of the answers shown.")
            else:
                answers[item.id] = _stored(match)
            continue
        value = _number(raw)
        low, high = item.minimum, item.maximum
        whole = (item.step or 1) == 1
        if (
            value is None
            or (whole and not value.is_integer())
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            errors[item.id] = _("Please enter a whole number from %(low)s to %(high)s.") % {
                "low": _fmt(low if low is not None else 0),
                "high": _fmt(high if high is not None else 0),
            }
            continue
        answers[item.id] = int(value) if whole else value
    return answers, errors


def _number(raw: str) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None
