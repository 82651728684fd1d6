"""Server-rendered SVG charts (no JavaScript, no images): the same markup in the page and PDF.

Each function takes the numbers of one `Table` and returns an SVG string; text is escaped. The
numbers behind every chart are the table's CSV download.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from html import escape

import pandas as pd

W, H = 420, 220
L, R, T, B = 46, 14, 14, 40
COLOURS = ("#1f5f8b", "#b5523b", "#3c8d5a", "#7a4f9a", "#8a7a2a")
#: Height of the strip above the plot that holds a legend, and its text baseline.
LEGEND_STRIP = 16
LEGEND_Y = -4


#: Estimated width of a character as a share of the font size (sans-serif, mixed case), used to
#: keep text labels apart; generous so that real glyphs fit inside the estimate.
CHAR_WIDTH = 0.6
#: Short axis labels of the time point codes.
TP_SHORT = {
    "baseline": "baseline",
    "6w": "6 weeks",
    "3m": "3 months",
    "6m": "6 months",
    "12m": "12 months",
    "24m": "24 months",
}


#: Space between the y axis (and the right edge) and the first (last) time point, so that the
#: centred time point labels at both ends fit.
X_PAD = 24


def _x(i: float, n: int) -> float:
    if n <= 1:
        return (L + W - R) / 2
    return L + X_PAD + (W - L - R - 2 * X_PAD) * (i / (n - 1))


def _scale(lo: float, hi: float) -> tuple[float, float]:
    if not math.isfinite(lo) or not math.isfinite(hi) or lo == hi:
        lo, hi = (0.0, 1.0) if not math.isfinite(lo) else (lo - 1, hi + 1)
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def nice_ticks(
    lo: float,
    hi: float,
    count: int = 5,
    *,
    floor: float | None = None,
    ceiling: float | None = None,
    integer: bool = False,
) -> tuple[list[float], int]:
    """Round tick values covering ``lo``–``hi`` (about ``count`` of them, step 1, 2, 2.5 or 5
    times a power of ten) and the decimals that print each one distinctly; ticks stay inside
    ``floor``–``ceiling`` (a bounded scale's minimum and maximum). The axis runs from the
    first to the last tick."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        lo, hi = 0.0, 1.0
    if floor is not None:
        lo = max(lo, floor)
    if ceiling is not None:
        hi = min(hi, ceiling)
    if hi <= lo:
        span = 1.0 if integer else max(abs(lo) * 0.1, 0.1)
        if ceiling is not None and lo + span > ceiling:
            lo = hi - span if floor is None else max(floor, hi - span)
        else:
            hi = lo + span
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)
    if integer:
        step = max(1.0, round(step))
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    if floor is not None:
        first = max(first, floor)
    if ceiling is not None:
        last = min(last, ceiling)
    n = max(1, math.ceil((last - first) / step - 1e-6))
    ticks = [round(min(first + i * step, last), 10) for i in range(n + 1)]
    # The fewest decimals that print every tick exactly (so no two labels are the same).
    decimals = next(
        (d for d in range(7) if all(abs(round(t, d) - t) < step * 1e-6 for t in ticks)), 6
    )
    return [0.0 if abs(t) < step * 1e-9 else t for t in ticks], decimals


def _y(v: float, lo: float, hi: float) -> float:
    return T + (H - T - B) * (1 - (v - lo) / (hi - lo))


def _frame(title: str, body: str, y_ticks: str, x_ticks: str, *, top: float = 0) -> str:
    """The SVG with axes; ``top`` extra pixels above the plot (for a legend outside it)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {-top:g} {W} {H + top:g}" '
        f'width="{W}" height="{H + top:g}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="#888"/>'
        f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="#888"/>'
        f"{y_ticks}{x_ticks}{body}</svg>"
    )


def _y_ticks(ticks: Sequence[float], decimals: int, lo: float, hi: float) -> str:
    out = []
    for v in ticks:
        y = _y(v, lo, hi)
        text = f"{v:.{decimals}f}"
        text = text[1:] if re.fullmatch(r"-0(\.0*)?", text) else text
        out.append(
            f'<text class="y-tick" x="{L - 4}" y="{y + 3:.1f}" font-size="9" '
            f'text-anchor="end">{escape(text)}</text>'
            f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#eee"/>'
        )
    return "".join(out)


def _measure_bounds(title: str, rows: pd.DataFrame) -> tuple[float | None, float | None]:
    """The instrument's minimum and maximum (fusiontrack.core.outcomes.MEASURES), found from the
    rows' ``measure`` column or a title naming the measure; (None, None) if unknown."""
    from fusiontrack.core.outcomes import MEASURES

    found = None
    if "measure" in rows.columns and len(rows):
        found = MEASURES.get(str(rows["measure"].iloc[0]))
    if found is None:
        name = title.split(":")[0].strip()
        found = next((m for m in MEASURES.values() if name in (m.label, m.short, m.id)), None)
    return (found.min, found.max) if found else (None, None)


def mean_chart(
    title: str,
    rows: pd.DataFrame,
    labels: Sequence[str],
    *,
    bounds: tuple[float | None, float | None] | None = None,
) -> str:
    """Means with 95 % CI bars at each time point (rows: timepoint, mean, lower, upper). The
    y axis stays inside the instrument's range (``bounds``, else found from the measure)."""
    floor, ceiling = bounds if bounds is not None else _measure_bounds(title, rows)
    rows = rows.set_index("timepoint").reindex(labels)
    values = pd.to_numeric(pd.concat([rows["lower"], rows["upper"], rows["mean"]]), errors="coerce")
    ticks, decimals = nice_ticks(
        *_scale(float(values.min()), float(values.max())), floor=floor, ceiling=ceiling
    )
    lo, hi = ticks[0], ticks[-1]
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
        f'<text class="x-tick" x="{_x(i, n):.1f}" y="{H - B + 14}" font-size="9" '
        f'text-anchor="middle">'
        f"{escape(TP_SHORT.get(tp, tp))}</text>"
        for i, tp in enumerate(labels)
    )
    return _frame(title, "".join(body), _y_ticks(ticks, decimals, lo, hi), x_ticks)


def km_chart(title: str, curves: dict[str, pd.DataFrame], risk_times: Sequence[float]) -> str:
    """Step curves of event-free survival (months 0–24) with numbers at risk underneath; the
    legend sits in a strip above the plot, clear of the curves."""
    lo_all = [float(c["lower"].min()) for c in curves.values() if not c.empty]
    low = min(lo_all) if lo_all and math.isfinite(min(lo_all)) else 0.0
    ticks, decimals = nice_ticks(max(0.0, low - 0.02), 1.0, floor=0.0, ceiling=1.0)
    lo, hi = ticks[0], ticks[-1]
    body, risk, legend = [], [], []
    x_max = 24.0
    legend_x = float(L)
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
            f'<polyline class="curve" points="{" ".join(pts)}" fill="none" stroke="{colour}" '
            f'stroke-width="1.5"/>'
        )
        legend.append(
            f'<line x1="{legend_x:.1f}" y1="{LEGEND_Y - 3}" x2="{legend_x + 14:.1f}" '
            f'y2="{LEGEND_Y - 3}" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{legend_x + 18:.1f}" y="{LEGEND_Y}" font-size="9" fill="{colour}">'
            f"{escape(label)}</text>"
        )
        legend_x += 18 + text_width(label, 9) + 16
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
        f'<text class="x-tick" x="{L + (W - L - R) * t / x_max:.1f}" y="{H - B + 10}" '
        f'font-size="8" text-anchor="middle">{int(t)} m</text>'
        for t in (0, 3, 6, 12, 18, 24)
    )
    body.append(f'<g class="legend">{"".join(legend)}</g>')
    return _frame(
        title,
        "".join(body) + "".join(risk),
        _y_ticks(ticks, decimals, lo, hi),
        x_ticks,
        top=LEGEND_STRIP,
    )


def text_width(text: str, font_size: float) -> float:
    """Estimated width of ``text`` at ``font_size`` (see ``CHAR_WIDTH``)."""
    return len(text) * font_size * CHAR_WIDTH


def _place_labels(
    points: Sequence[tuple[float, float, str]], font_size: float, keep: Sequence[bool]
) -> list[tuple[int, float, float, bool]]:
    """Where to put each point's label: (point index, x, baseline y, leader line?), text
    starting at x. Labels overlap neither each other, nor the points, nor the chart's edges; a
    point is tried right then left, level then above and below at growing offsets. Outliers
    (``keep``) are placed first; a label that finds no free place is left out (the unit is
    named in the table and in the point's tooltip)."""
    placed: list[tuple[float, float, float, float]] = []
    dots = [(x - 4, y - 4, x + 4, y + 4) for x, y, _ in points]
    out = []
    order = sorted(range(len(points)), key=lambda i: (not keep[i], points[i][0]))

    def free(box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        if x0 < L + 2 or x1 > W - 2 or y0 < 0 or y1 > H - B:
            return False
        return not any(
            x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in [*placed, *dots]
        )

    for i in order:
        x, y, text = points[i]
        width = text_width(text, font_size)
        for dy in (0, 9, -9, 18, -18, 27, -27, 36, -36):
            spot = None
            for side in ("right", "left"):
                lx = x + 6 if side == "right" else x - 6 - width
                base = y - 2 + dy
                box = (lx, base - font_size, lx + width, base + 1)
                if free(box):
                    spot = (lx, base, box)
                    break
            if spot:
                lx, base, box = spot
                placed.append(box)
                out.append((i, lx, base, dy != 0))
                break
    return out


def funnel_chart(
    title: str,
    units: pd.DataFrame,
    target: float,
    limits: dict[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
) -> str:
    """Funnel plot: each unit's rate (y) against its number of patients (x) with control
    limits (``limits``: label -> (n grid, lower, upper)). Units are labelled where a label
    fits without overlapping another (outliers first)."""
    x_ticks_at, _ = nice_ticks(0.0, float(max([*units["n"].tolist(), 20])), integer=True)
    n_max = x_ticks_at[-1]
    ticks, decimals = nice_ticks(0.0, 1.0, 6, floor=0.0, ceiling=1.0)
    lo, hi = 0.0, 1.0
    body = []
    for k, (label, (grid, lower, upper)) in enumerate(limits.items()):
        dash = "4,3" if k == 0 else "1,2"
        for line in (lower, upper):
            pts = " ".join(
                f"{L + (W - L - R) * n / n_max:.1f},{_y(min(max(v, 0), 1), lo, hi):.1f}"
                for n, v in zip(grid, line, strict=True)
                if math.isfinite(v) and n <= n_max
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
    points, keep = [], []
    for row in units.itertuples():
        x = L + (W - L - R) * row.n / n_max
        y = _y(float(row.rate), lo, hi)
        fill = COLOURS[0] if row.ranked else "#bbb"
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}">'
            f"<title>{escape(str(row.unit))}: n={row.n}</title></circle>"
        )
        points.append((x, y, str(row.unit)))
        keep.append(str(getattr(row, "funnel_position", "within")) not in ("within", "", "nan"))
    for i, lx, base, leader in _place_labels(points, 7, keep):
        px, py, text = points[i]
        if leader:
            end = lx if lx > px else lx + text_width(text, 7)
            body.append(
                f'<line x1="{px:.1f}" y1="{py:.1f}" x2="{end:.1f}" y2="{base - 3:.1f}" '
                f'stroke="#999" stroke-width="0.5"/>'
            )
        body.append(
            f'<text class="unit-label" x="{lx:.1f}" y="{base:.1f}" font-size="7" '
            f'text-anchor="start" stroke="#fff" stroke-width="2" paint-order="stroke">'
            f"{escape(text)}</text>"
        )
    x_ticks = "".join(
        f'<text class="x-tick" x="{L + (W - L - R) * n / n_max:.1f}" y="{H - B + 12}" '
        f'font-size="8" text-anchor="middle">{int(n)}</text>'
        for n in x_ticks_at
    )
    return _frame(title, "".join(body), _y_ticks(ticks, decimals, lo, hi), x_ticks)


def histogram(title: str, edges: Sequence[float], counts: Sequence[int], unit: str = "") -> str:
    """Bars of counts per bin (labels under each bar, the count above it)."""
    n = len(counts)
    ticks, _ = nice_ticks(0.0, float(max([*counts, 1])), integer=True)
    top = ticks[-1]
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
    return _frame(title, "".join(body), _y_ticks(ticks, 0, 0, top), x_ticks)
