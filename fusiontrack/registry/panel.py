"""The before/after panel: per measure, baseline, every follow-up, latest, change and status.

Classification and wording come from ``fusiontrack.core.outcomes`` (thresholds cited there);
this module picks the values out of the episode's responses and arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fusiontrack.core import vocab
from fusiontrack.core.errors import FusiontrackError
from fusiontrack.core.outcomes import MEASURES, ChangeResult, classify_change, describe
from fusiontrack.registry.models import QuestionnaireResponse

TIMEPOINT_ORDER = vocab.codes(vocab.TIMEPOINTS)

#: Words and CSS class per category of ChangeResult.
CATEGORY_STYLE = {
    "substantial_benefit": ("Substantial benefit", "good"),
    "improved": ("Improved (MCID reached)", "good"),
    "unchanged": ("Unchanged (below MCID)", "neutral"),
    "worsened": ("Worse", "bad"),
    "no_threshold": ("No threshold", "neutral"),
    "not_assessable": ("Not assessable yet", "neutral"),
}


@dataclass
class Point:
    timepoint: str
    label: str
    value: float
    result: ChangeResult | None = None


@dataclass
class MeasureRow:
    measure: Any
    baseline: float | None
    points: list[Point]
    latest: Point | None
    result: ChangeResult | None
    sentence: str
    status_label: str
    status_class: str
    mcid_value: float | None = None
    flags: list[tuple[str, bool | None]] = field(default_factory=list)


def values_by_measure(responses: list[QuestionnaireResponse]) -> dict[str, dict[str, float]]:
    """{measure: {timepoint: value}}; the latest response wins when a time point repeats."""
    out: dict[str, dict[str, float]] = {}
    for r in sorted(responses, key=lambda r: (r.responded_on, r.pk)):
        for measure, value in (r.scores or {}).items():
            if (
                measure in MEASURES
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                out.setdefault(measure, {})[r.timepoint] = float(value)
    return out


def _classify(measure: str, baseline: float | None, value: float) -> ChangeResult | None:
    try:
        return classify_change(measure, baseline, value)
    except FusiontrackError:
        return None  # out-of-range stored value: shown, not classified


def _mcid_band(result: ChangeResult | None) -> float | None:
    if result is None:
        return None
    absolute = [t.value for t in result.thresholds_of("mcid") if t.rule == "absolute_change"]
    return min(absolute) if absolute else None


def build_panel(responses: list[QuestionnaireResponse]) -> list[MeasureRow]:
    rows = []
    for measure_id, by_tp in values_by_measure(responses).items():
        measure = MEASURES[measure_id]
        baseline = by_tp.get("baseline")
        points = [
            Point(tp, vocab.label(vocab.TIMEPOINTS, tp), by_tp[tp])
            for tp in TIMEPOINT_ORDER
            if tp in by_tp and tp != "baseline"
        ]
        for p in points:
            p.result = _classify(measure_id, baseline, p.value) if baseline is not None else None
        latest = points[-1] if points else None
        result = latest.result if latest else None
        if result is None:
            sentence = (
                f"{measure.short}: no follow-up yet."
                if baseline is not None
                else f"{measure.short}: no baseline score, so no before/after comparison."
            )
            category = "not_assessable"
        else:
            sentence = describe(result)
            category = result.category
        label, css = CATEGORY_STYLE.get(category, (category, "neutral"))
        band_source = result
        if band_source is None and baseline is not None:
            band_source = _classify(measure_id, baseline, baseline)
        rows.append(
            MeasureRow(
                measure=measure,
                baseline=baseline,
                points=points,
                latest=latest,
                result=result,
                sentence=sentence,
                status_label=label,
                status_class=css,
                mcid_value=_mcid_band(band_source),
                flags=[("MCID", result.mcid), ("SCB", result.scb), ("PASS", result.pass_)]
                if result
                else [],
            )
        )
    order = list(MEASURES)
    rows.sort(key=lambda r: order.index(r.measure.id))
    return rows
