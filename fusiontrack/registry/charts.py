"""Trajectory charts as inline SVG geometry, computed on the server (no JavaScript, no images).

The template draws what this module computes: the patient's scores per time point, the band of
scores within the MCID of the baseline (a change inside it is one most patients would not
notice), and the typical trajectory of similar patients (median line, IQR band) from the cached
``ReferenceTrajectory`` rows. Styling is by CSS class only, so a strict CSP works.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fusiontrack.core import vocab
from fusiontrack.registry.models import ReferenceTrajectory
from fusiontrack.registry.panel import MeasureRow

WIDTH, HEIGHT = 360, 190
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 34
TIMEPOINTS = vocab.codes(vocab.TIMEPOINTS)
SHORT_LABELS = {
    "baseline": "Before",
    "6w": "6 w",
    "3m": "3 m",
    "6m": "6 m",
    "12m": "12 m",
    "24m": "24 m",
}


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass
class Chart:
    measure_id: str
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    patient_line: str = ""
    patient_dots: list[Dot] = field(default_factory=list)
    median_line: str = ""
    iqr_band: str = ""
    mcid_band: tuple[float, float, float, float] | None = None  # x, y, width, height
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    reference_note: str = ""
    description: str = ""


def _x(timepoint: str) -> float:
    step = (WIDTH - LEFT - RIGHT) / (len(TIMEPOINTS) - 1)
    return round(LEFT + TIMEPOINTS.index(timepoint) * step, 1)


def _domain(row: MeasureRow, refs: Iterable[ReferenceTrajectory]) -> tuple[float, float]:
    m = row.measure
    values = [p.value for p in row.points] + ([row.baseline] if row.baseline is not None else [])
    values += [r.p25 for r in refs] + [r.p75 for r in refs]
    low = m.min if m.min is not None else min([*values, 0.0])
    high = m.max if m.max is not None else max([*values, 1.0])
    if high <= low:
        high = low + 1
    return float(low), float(high)


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def build_chart(row: MeasureRow, refs: list[ReferenceTrajectory], group_label: str) -> Chart:
    low, high = _domain(row, refs)

    def y(value: float) -> float:
        span = HEIGHT - TOP - BOTTOM
        clamped = min(max(value, low), high)
        return round(TOP + (high - clamped) / (high - low) * span, 1)

    m = row.measure
    chart = Chart(measure_id=m.id, title=m.label)
    series = ([("baseline", row.baseline)] if row.baseline is not None else []) + [
        (p.timepoint, p.value) for p in row.points
    ]
    chart.patient_dots = [Dot(_x(tp), y(v), f"{SHORT_LABELS[tp]}: {_fmt(v)}") for tp, v in series]
    chart.patient_line = " ".join(f"{d.x},{d.y}" for d in chart.patient_dots)
    ordered = sorted(refs, key=lambda r: TIMEPOINTS.index(r.timepoint))
    if len(ordered) >= 2:
        chart.median_line = " ".join(f"{_x(r.timepoint)},{y(r.median)}" for r in ordered)
        upper = [f"{_x(r.timepoint)},{y(r.p75)}" for r in ordered]
        lower = [f"{_x(r.timepoint)},{y(r.p25)}" for r in reversed(ordered)]
        chart.iqr_band = " ".join(upper + lower)
        n = max(r.n for r in ordered)
        chart.reference_note = (
            f"Typical course: {group_label} (up to {n} patients), median and IQR."
        )
    if row.baseline is not None and row.mcid_value:
        top, bottom = y(row.baseline + row.mcid_value), y(row.baseline - row.mcid_value)
        chart.mcid_band = (LEFT, top, WIDTH - LEFT - RIGHT, round(bottom - top, 1))
    chart.x_ticks = [Tick(_x(tp), SHORT_LABELS[tp]) for tp in TIMEPOINTS]
    chart.y_ticks = [Tick(y(v), _fmt(v)) for v in (low, (low + high) / 2, high)]
    direction = "lower is better" if m.lower_is_better else "higher is better"
    values = ", ".join(d.label for d in chart.patient_dots) or "no scores yet"
    chart.description = f"{m.label} ({direction}): {values}."
    return chart


def reference_groups(diagnosis: str | None) -> list[str]:
    return ([f"diagnosis:{diagnosis}"] if diagnosis else []) + ["all"]


def pick_reference(
    rows: list[ReferenceTrajectory], measure: str, groups: list[str]
) -> tuple[list[ReferenceTrajectory], str]:
    """The most specific group with at least three time points, else the whole registry."""
    for group in groups:
        chosen = [r for r in rows if r.measure == measure and r.group == group]
        if len(chosen) >= 3 or group == "all":
            if group == "all":
                return chosen, "all patients in the registry"
            code = group.split(":", 1)[1]
            return chosen, f"patients with {vocab.label(vocab.DIAGNOSES, code).lower()}"
    return [], ""
