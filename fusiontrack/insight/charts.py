"""Server-rendered SVG charts (no JavaScript, no images): the same markup in the page and PDF.

Each function takes the numbers of one `Table` and returns an SVG string; text is escaped. The
numbers behind every chart are the table's CSV download.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np
import pandas as pd

W, H = 420, 220
L, R, T, B = 46, 14, 14, 40
COLOURS = ("#1f5f8b", "#b5523b", "#3c8d5a", "#7a4f9a", "#8a7a2a")


def _x(i: float, n: int) -> float:
    return L + (W - L - R) * (i / max(n - 1, 1))


def _scale(lo: float, hi: float) -> tuple[float, float]:
    if not math.isfinite(lo) or not math.isfinite(hi) or lo == hi:
        lo, hi = (0.0, 1.0) if not math.isfinite(lo) else (lo - 1, hi + 1)
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def _y(v: float, lo: float, hi: float) -> float:
    return T + (H - T - B) * (1 - (v - lo) / (hi - lo))


def _frame(title: str, body: str, y_ticks: str, x_ticks: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
        f'height="{H}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="#888"/>'
        f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="#888"/>'
        f"{y_ticks}{x_ticks}{body}</svg>"
    )


def _y_ticks(lo: float, hi: float, fmt: str = "{:.0f}") -> str:
    out = []
    for v in np.linspace(lo, hi, 5):
        y = _y(v, lo, hi)
        out.append(
            f'<text x="{L - 4}" y="{y + 3:.1f}" font-size="9" text-anchor="end">'
            f"{escape(fmt.format(v))}</text>"
            f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#eee"/>'
        )
    return "".join(out)


def mean_chart(title: str, rows: pd.DataFrame, labels: Sequence[str]) -> str:
    """Means with 95 % CI bars at each time point (rows: timepoint, mean, lower, upper)."""
    rows = rows.set_index("timepoint").reindex(labels)
    values = pd.to_numeric(pd.concat([rows["lower"], rows["upper"], rows["mean"]]), errors="coerce")
    lo, hi = _scale(float(values.min()), float(values.max()))
    n = len(labels)
    body, points = [], []
    for i, tp in enumerate(labels):
        mean = pd.to_numeric(rows.loc[tp, "mean"], errors="coerce")
        if pd.isna(mean):
            continue
        x, y = _x(i, n), _y(float(mean), lo, hi)
        points.append(f"{x:.1f},{y:.1f}")
        low = pd.to_numeric(rows.loc[tp, "lower"], errors="coerce")
        up = pd.to_numeric(rows.loc[tp, "upper"], errors="coerce")
        if pd.notna(low) and pd.notna(up):
            body.append(
                f'<line x1="{x:.1f}" y1="{_y(float(low), lo, hi):.1f}" x2="{x:.1f}" '
                f'y2="{_y(float(up), lo, hi):.1f}" stroke="{COLOURS[0]}" stroke-width="2"/>'
            )
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[0]}"/>')
    if points:
        body.insert(0, f'<polyline points="{" ".join(points)}" fill="none" stroke="{COLOURS[0]}"/>')
    x_ticks = "".join(
        f'<text x="{_x(i, n):.1f}" y="{H - B + 14}" font-size="9" text-anchor="middle">'
        f"{escape(tp)}</text>"
        for i, tp in enumerate(labels)
    )
    return _frame(title, "".join(body), _y_ticks(lo, hi, "{:.1f}"), x_ticks)


def km_chart(title: str, curves: dict[str, pd.DataFrame], risk_times: Sequence[float]) -> str:
    """Step curves of event-free survival (months 0–24) with numbers at risk underneath."""
    lo_all = [float(c["lower"].min()) for c in curves.values() if not c.empty]
    lo = max(0.0, math.floor((min(lo_all) if lo_all else 0.0) * 20) / 20 - 0.05)
    hi = 1.0
    body, risk = [], []
    x_max = 24.0
    for k, (label, curve) in enumerate(curves.items()):
        colour = COLOURS[k % len(COLOURS)]
        pts = []
        prev = None
        for row in curve.itertuples():
            if pd.isna(row.survival):
                break
            x = L + (W - L - R) * row.months / x_max
            y = _y(row.survival, lo, hi)
            if prev is not None:
                pts.append(f"{x:.1f},{prev:.1f}")
            pts.append(f"{x:.1f},{y:.1f}")
            prev = y
        body.append(
            f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
        )
        body.append(
            f'<text x="{W - R - 4}" y="{T + 12 + 12 * k}" font-size="9" '
            f'text-anchor="end" fill="{colour}">{escape(label)}</text>'
        )
        at = curve.set_index("months")["at_risk"]
        risk.append(
            f'<text x="2" y="{H - 14 + 10 * k}" font-size="7" fill="{colour}">at risk</text>'
            + "".join(
                f'<text x="{L + (W - L - R) * t / x_max:.1f}" y="{H - 14 + 10 * k}" '
                f'font-size="7" text-anchor="middle" fill="{colour}">'
                f"{int(at.get(t, 0))}</text>"
                for t in risk_times
            )
        )
    x_ticks = "".join(
        f'<text x="{L + (W - L - R) * t / x_max:.1f}" y="{H - B + 10}" font-size="8" '
        f'text-anchor="middle">{int(t)} m</text>'
        for t in (0, 3, 6, 12, 18, 24)
    )
    return _frame(title, "".join(body) + "".join(risk), _y_ticks(lo, hi, "{:.2f}"), x_ticks)


def funnel_chart(
    title: str,
    units: pd.DataFrame,
    target: float,
    limits: dict[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
) -> str:
    """Funnel plot: each unit's rate (y) against its number of patients (x) with control
    limits (``limits``: label -> (n grid, lower, upper))."""
    n_max = float(max([*units["n"].tolist(), 20])) * 1.05
    lo, hi = 0.0, 1.0
    body = []
    for k, (label, (grid, lower, upper)) in enumerate(limits.items()):
        dash = "4,3" if k == 0 else "1,2"
        for line in (lower, upper):
            pts = " ".join(
                f"{L + (W - L - R) * n / n_max:.1f},{_y(min(max(v, 0), 1), lo, hi):.1f}"
                for n, v in zip(grid, line, strict=True)
                if math.isfinite(v)
            )
            body.append(
                f'<polyline points="{pts}" fill="none" stroke="#999" stroke-dasharray="{dash}"/>'
            )
        body.append(
            f'<text x="{W - R}" y="{T + 10 + 10 * k}" font-size="8" '
            f'text-anchor="end">{escape(label)} limits</text>'
        )
    body.append(
        f'<line x1="{L}" y1="{_y(target, lo, hi):.1f}" x2="{W - R}" '
        f'y2="{_y(target, lo, hi):.1f}" stroke="#333"/>'
    )
    for row in units.itertuples():
        x = L + (W - L - R) * row.n / n_max
        y = _y(float(row.rate), lo, hi)
        fill = COLOURS[0] if row.ranked else "#bbb"
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}">'
            f"<title>{escape(str(row.unit))}: n={row.n}</title></circle>"
            f'<text x="{x + 5:.1f}" y="{y - 4:.1f}" font-size="7">'
            f"{escape(str(row.unit))}</text>"
        )
    x_ticks = "".join(
        f'<text x="{L + (W - L - R) * n / n_max:.1f}" y="{H - B + 12}" font-size="8" '
        f'text-anchor="middle">{int(n)}</text>'
        for n in np.linspace(0, n_max, 5)
    )
    return _frame(title, "".join(body), _y_ticks(lo, hi, "{:.1f}"), x_ticks)


def histogram(title: str, edges: Sequence[float], counts: Sequence[int], unit: str = "") -> str:
    """Bars of counts per bin (labels under each bar, the count above it)."""
    n = len(counts)
    top = max([*counts, 1])
    width = (W - L - R) / max(n, 1)
    body = []
    for i, count in enumerate(counts):
        x = L + i * width
        y = _y(count, 0, top)
        body.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{width - 2:.1f}" '
            f'height="{H - B - y:.1f}" fill="{COLOURS[0]}"/>'
            f'<text x="{x + width / 2:.1f}" y="{y - 2:.1f}" font-size="8" '
            f'text-anchor="middle">{count}</text>'
        )
    x_ticks = "".join(
        f'<text x="{L + i * width + width / 2:.1f}" y="{H - B + 12}" font-size="7" '
        f'text-anchor="middle">{edges[i]:g}–{edges[i + 1]:g}{escape(unit)}</text>'
        for i in range(n)
    )
    return _frame(title, "".join(body), _y_ticks(0, top, "{:.0f}"), x_ticks)
