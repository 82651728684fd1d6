"""Plain-language sentences for a before/after result, for patients and staff.

The wording names the source after every number ("… (Ostelo 2008)") and says so when a
threshold's value has not been verified against its paper, so nobody mistakes a flagged number
for an established one.
"""

from __future__ import annotations

from collections.abc import Sequence

from fusiontrack.core.outcomes.classify import ChangeResult
from fusiontrack.core.outcomes.thresholds import Threshold, format_number, get_measure

_KIND_MEANING = {
    "mcid": "is a change most patients notice",
    "scb": "is a substantial benefit",
    "pass": "is a level most patients find acceptable",
    "deterioration": "counts as clearly worse",
}


def _rule_phrase(t: Threshold) -> str:
    number = format_number(t.value)
    if t.rule == "final_score":
        return {
            "<": f"a score below {number}",
            "<=": f"a score of {number} or less",
            ">": f"a score above {number}",
            ">=": f"a score of {number} or more",
        }[t.operator]
    noun = "a worsening" if t.kind == "deterioration" else "an improvement"
    amount = format_number(t.value, t.unit) if t.rule == "absolute_change" else f"{number} %"
    more = f"of more than {amount}" if t.operator == ">" else f"of {amount} or more"
    tail = " of the starting score" if t.rule == "percent_change" else ""
    return f"{noun} {more}{tail}"


def explain_thresholds(thresholds: Sequence[Threshold]) -> str:
    """'An improvement of 10 points or more, or of 30 % … is a change most patients notice
    (Ostelo 2008)'. Empty string when there is no threshold."""
    if not thresholds:
        return ""
    phrases = ", or ".join(_rule_phrase(t) for t in thresholds)
    sources = ", ".join(dict.fromkeys(t.citation.short for t in thresholds))
    sentence = f"{phrases} {_KIND_MEANING[thresholds[0].kind]} ({sources})"
    if not all(t.verified for t in thresholds):
        sentence += "; note: this value has not yet been checked against the original paper"
    return sentence[0].upper() + sentence[1:]


def describe(result: ChangeResult) -> str:
    """One or two sentences: what changed, what it means, and against which published threshold."""
    measure = get_measure(result.measure)
    if (
        result.category == "not_assessable"
        or result.baseline is None
        or result.followup is None
        or result.improvement is None
    ):
        missing = "baseline" if result.baseline is None else "follow-up"
        return (
            f"{measure.short}: no before/after comparison yet, because the {missing} score is "
            "missing."
        )
    before = format_number(result.baseline)
    after = format_number(result.followup)
    size = format_number(abs(result.improvement), measure.unit)
    if result.improvement > 0:
        how = f"{size} better"
    elif result.improvement < 0:
        how = f"{size} worse"
    else:
        how = "no change"
    if result.percent_change is not None and result.improvement != 0:
        word = "better" if result.percent_change > 0 else "worse"
        how += f", {abs(result.percent_change):.0f} % {word} than at baseline"
    opening = f"{measure.short} went from {before} to {after} ({how})."
    parts = [opening[0].upper() + opening[1:]]
    mcid = explain_thresholds(result.thresholds_of("mcid"))
    if result.category == "worsened":
        worse = explain_thresholds(result.thresholds_of("deterioration"))
        parts.append(f"That is worse than before. {worse}.")
    elif result.category == "substantial_benefit":
        scb = explain_thresholds(result.thresholds_of("scb"))
        parts.append(f"That is a substantial benefit. {scb}.")
    elif result.category == "improved":
        parts.append(f"That is an improvement most patients notice. {mcid}.")
    elif result.category == "unchanged":
        parts.append(f"That is smaller than a change most patients notice. {mcid}.")
    else:
        parts.append(
            "There is no verified threshold for this measure in the chosen set, so the change "
            "is not classified."
        )
    if result.pass_ is not None:
        verdict = "is" if result.pass_ else "is not yet"
        parts.append(
            f"The follow-up score {verdict} at a level most patients find acceptable. "
            f"{explain_thresholds(result.thresholds_of('pass'))}."
        )
    return " ".join(parts)
