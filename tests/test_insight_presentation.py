"""Dashboard tables and charts as a reader sees them: units, order, labels and legible axes.

Found by looking at the rendered demo cohort (400 patients): 95 % CI bounds of means printed as
percentages of one ("2301.9 %" for a mean ODI of 23.0), EQ-5D axis labels "0.7" five times, a
"-0.3" tick on the 0–10 leg-pain scale, the survival legend over the curves, surgeon names on
top of each other in the funnel plot. Instrument ranges come from
``fusiontrack.core.outcomes.MEASURES`` (ODI 0–100, NRS 0–10, EQ-5D-5L index at most 1).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import combinations, pairwise

import numpy as np
import pandas as pd
import pytest

from fusiontrack.insight import charts
from fusiontrack.insight.aggregates import Table
from fusiontrack.insight.presentation import display
from tests.test_insight_dashboard import cohort  # noqa: F401  (the shared fixture)

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def rows_of(key: str, **columns: list) -> list[list[str]]:
    return display(Table(key, key, pd.DataFrame(columns)))["rows"]


# --- tables -------------------------------------------------------------------------------------


def test_interval_bounds_of_a_mean_are_in_the_measures_unit():
    rows = rows_of(
        "means",
        measure=["odi", "nrs_leg"],
        timepoint=["12m", "12m"],
        n=[169, 169],
        mean=[23.04, 2.341],
        sd=[15.1, 3.32],
        lower=[20.1, 1.833],
        upper=[25.9, 2.842],
    )
    assert rows[0] == ["ODI", "12 months", "169", "23.0", "15.1", "20.1", "25.9"]
    # A 0–10 scale keeps two decimals on every number of the row.
    assert rows[1][3:] == ["2.34", "3.32", "1.83", "2.84"]
    assert not any("%" in v for row in rows for v in row)


def test_interval_bounds_of_a_change_are_in_the_measures_unit():
    """Hand-computed in tests/test_insight_dashboard.py: mean change −10, 95 % CI
    −24.9048 to 4.9048 ODI points."""
    rows = rows_of(
        "changes",
        measure=["odi"],
        timepoint=["3m"],
        n=[3],
        baseline_mean=[45.33],
        follow_up_mean=[35.33],
        mean_change=[-10.0],
        lower=[-24.9048],
        upper=[4.9048],
    )
    assert rows[0][-3:] == ["-10.0", "-24.9", "4.9"]


def test_proportions_survival_and_rates_stay_percentages():
    thresholds = rows_of(
        "thresholds",
        measure=["odi"],
        timepoint=["3m"],
        threshold=["MCID"],
        n_reaching=[163],
        n_answering=[219],
        proportion=[0.744],
        lower=[0.683],
        upper=[0.798],
    )
    assert thresholds[0][-3:] == ["74.4 %", "68.3 %", "79.8 %"]
    survival = rows_of(
        "survival",
        curve=["Complication-free"],
        months=[12.0],
        survival=[0.772],
        lower=[0.721],
        upper=[0.814],
        at_risk=[183],
    )
    assert survival[0] == ["Complication-free", "12", "77.2 %", "72.1 %", "81.4 %", "183"]
    ipw = rows_of(
        "attrition_ipw",
        measure=["odi"],
        timepoint=["12m"],
        complete_case=[0.846],
        cc_lower=[0.782],
        cc_upper=[0.893],
        ipw=[0.852],
        ipw_lower=[0.798],
        ipw_upper=[0.906],
        effective_n=[154.5],
    )
    assert ipw[0][2:] == ["84.6 %", "78.2 %", "89.3 %", "85.2 %", "79.8 %", "90.6 %", "154.5"]
    bench = rows_of(
        "benchmark",
        unit=["Surgeon A"],
        n=[66],
        oe_ratio=[1.394],
        risk_standardised_rate=[0.271],
    )
    assert bench[0] == ["Surgeon A", "66", "1.39", "27.1 %"]


def test_radiographic_change_bounds_are_in_degrees_and_millimetres():
    rows = rows_of(
        "radiographic",
        measure=["Lumbar lordosis L1–S1", "Disc height index L4–L5", "Disc angle L4–L5"],
        unit=["deg", "ratio", "deg"],
        n=[6, 6, 6],
        mean_change=[5.0, 0.031, -0.001],
        change_lower=[3.21, 0.012, -0.004],
        change_upper=[6.79, 0.05, 0.002],
    )
    assert rows[0][3:] == ["5.0", "3.2", "6.8"]
    assert rows[1][3:] == ["0.03", "0.01", "0.05"]
    assert rows[2][3:] == ["0.0", "0.0", "0.0"], "no negative zero"


def test_time_points_in_clinical_order_within_each_measure():
    rows = rows_of(
        "means",
        measure=["odi", "odi", "odi", "nrs_back", "odi", "nrs_back"],
        timepoint=["12m", "24m", "3m", "12m", "baseline", "baseline"],
        mean=[25.0, 28.0, 32.0, 2.0, 47.0, 6.4],
    )
    assert [r[:2] for r in rows] == [
        ["ODI", "Baseline (before surgery)"],
        ["ODI", "3 months"],
        ["ODI", "12 months"],
        ["ODI", "24 months"],
        ["back pain", "Baseline (before surgery)"],
        ["back pain", "12 months"],
    ]


def test_category_codes_are_labels_and_shares_are_percentages_in_the_responder_table():
    rows = rows_of(
        "attrition_baseline",
        variable=["age", "ASA class", "diagnosis", "smoking", "sex"],
        level=["", "2", "degenerative_spondylolisthesis", "current", "female"],
        responders=[59.1, 0.593, 0.414, 0.142, 0.562],
        smd=[0.53, -0.1, 0.51, -0.0001, 0.09],
    )
    assert [r[1] for r in rows] == [
        "",
        "ASA II",
        "Degenerative spondylolisthesis",
        "Current",
        "Female",
    ]
    assert [r[2] for r in rows] == ["59.1", "59.3 %", "41.4 %", "14.2 %", "56.2 %"]
    assert rows[3][3] == "0.00"


def test_missing_and_suppressed_values_are_never_nan_or_none():
    frame = pd.DataFrame(
        {
            "measure": ["odi", "odi"],
            "timepoint": ["3m", "12m"],
            "n": ["<5", 12],
            "mean": [None, float("nan")],
            "lower": [pd.NA, np.nan],
            "upper": [float("inf"), -0.0001],
        },
        dtype=object,
    )
    text = " ".join(v for row in display(Table("means", "t", frame))["rows"] for v in row)
    for word in ("nan", "None", "NaN", "inf", "<NA>"):
        assert word not in text
    assert "<5" in text
    assert not re.search(r"(?<![\d.])-0(\.0+)?\b", text)


# --- charts -------------------------------------------------------------------------------------


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element, cls: str) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if t.get("class") == cls]


def means_frame(measure: str, values: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"measure": measure, "timepoint": tp, "mean": m, "lower": lo, "upper": hi}
            for tp, (m, lo, hi) in values.items()
        ]
    )


def test_eq5d_axis_labels_are_distinct():
    """Demo cohort: EQ-5D index means 0.50–0.74 printed "0.7" five times with one decimal."""
    frame = means_frame(
        "eq5d5l_index",
        {"baseline": (0.72, 0.69, 0.75), "3m": (0.73, 0.71, 0.74), "12m": (0.74, 0.72, 0.76)},
    )
    root = parse(charts.mean_chart("EQ-5D-5L index", frame, ["baseline", "3m", "12m"]))
    labels = [t.text for t in texts(root, "y-tick")]
    assert len(labels) >= 3
    assert len(set(labels)) == len(labels), labels
    assert all(float(v) <= 1.0 for v in labels), "above the EQ-5D-5L index maximum of 1"


def test_a_bounded_scale_has_no_tick_below_its_minimum_or_above_its_maximum():
    frame = means_frame(
        "nrs_leg", {"baseline": (6.2, 5.9, 6.5), "3m": (0.2, 0.0, 0.4), "12m": (9.9, 9.6, 10.0)}
    )
    root = parse(charts.mean_chart("Leg pain", frame, ["baseline", "3m", "12m"]))
    ticks = [float(t.text) for t in texts(root, "y-tick")]
    assert min(ticks) == 0 and max(ticks) == 10, ticks
    # Without a measure column the instrument is found from the chart's title (patient report).
    alone = frame.drop(columns="measure").assign(mean=[0.0, 0.0, 0.0], lower=0.0, upper=0.0)
    title = "Leg pain (0–10 numeric rating scale)"
    ticks = [float(t.text) for t in texts(parse(charts.mean_chart(title, alone, ["3m"])), "y-tick")]
    assert min(ticks) >= 0, ticks
    assert "-0" not in "".join(
        t.text for t in texts(parse(charts.mean_chart(title, alone, [])), "y-tick")
    )


def test_time_point_labels_are_words_that_do_not_touch():
    """The axis printed the codes ("6w", "12m"); with six time points "12 months" and
    "24 months" ran into each other and the end labels were cut off."""
    labels = ["baseline", "6w", "3m", "6m", "12m", "24m"]
    frame = means_frame("odi", {tp: (30.0, 28.0, 32.0) for tp in labels})
    ticks = texts(parse(charts.mean_chart("ODI", frame, labels)), "x-tick")
    assert [t.text for t in ticks] == [
        "baseline",
        "6 weeks",
        "3 months",
        "6 months",
        "12 months",
        "24 months",
    ]
    boxes = [
        (float(t.get("x")) - w / 2, float(t.get("x")) + w / 2)
        for t in ticks
        for w in [charts.text_width(t.text, 9)]
    ]
    assert boxes[0][0] >= 0 and boxes[-1][1] <= charts.W
    assert all(a[1] < b[0] for a, b in pairwise(boxes))


@pytest.mark.parametrize(
    ("lo", "hi"), [(0.45, 0.8), (47.0, 47.4), (0.0, 3.0), (-12.5, 30.0), (0.691, 0.702)]
)
def test_nice_ticks_print_distinct_labels_covering_the_range(lo, hi):
    ticks, decimals = charts.nice_ticks(lo, hi)
    labels = [f"{t:.{decimals}f}" for t in ticks]
    assert len(set(labels)) == len(labels) >= 2, labels
    assert ticks[0] <= lo and ticks[-1] >= hi
    assert all(float(label) == pytest.approx(t) for label, t in zip(labels, ticks, strict=True))


def test_histogram_count_axis_has_distinct_whole_numbers():
    root = parse(charts.histogram("Length of stay", [0, 2, 4, 6], [1, 3, 2]))
    labels = [t.text for t in texts(root, "y-tick")]
    assert len(set(labels)) == len(labels)
    assert all(re.fullmatch(r"\d+", v) for v in labels), labels


def km_curve(drop: float) -> pd.DataFrame:
    months = np.arange(0, 25, dtype=float)
    survival = np.linspace(1.0, drop, 25)
    return pd.DataFrame(
        {
            "months": months,
            "survival": survival,
            "lower": survival - 0.04,
            "upper": np.minimum(survival + 0.04, 1),
            "at_risk": np.linspace(300, 100, 25).astype(int),
        }
    )


def test_survival_legend_is_outside_the_curves():
    """The legend was drawn at the top right, where event-free curves near 1.0 run."""
    svg = charts.km_chart(
        "Survival",
        {"Reoperation-free": km_curve(0.97), "Complication-free": km_curve(0.7)},
        [0, 3, 12, 24],
    )
    root = parse(svg)
    ys = [
        float(p.split(",")[1])
        for line in root.iter(f"{SVG}polyline")
        if line.get("class") == "curve"
        for p in line.get("points").split()
    ]
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    legend_texts = list(legend.iter(f"{SVG}text"))
    assert [t.text for t in legend_texts] == ["Reoperation-free", "Complication-free"]
    # Text boxes: the baseline minus the font size up to the baseline.
    legend_bottom = max(float(t.get("y")) for t in legend_texts) + 2
    assert legend_bottom < min(ys), "legend overlaps a curve"
    assert legend_bottom < charts.T, "legend inside the plot area"
    # ... and it is inside the drawing (the viewBox grew upwards to hold it).
    top = float(root.get("viewBox").split()[1])
    assert min(float(t.get("y")) - 9 for t in legend_texts) >= top
    # Legend entries side by side do not overlap each other.
    boxes = [
        (float(t.get("x")), float(t.get("x")) + charts.text_width(t.text, 9)) for t in legend_texts
    ]
    assert boxes[0][1] <= boxes[1][0]


def label_boxes(root: ET.Element) -> list[tuple[float, float, float, float]]:
    size = 7
    return [
        (
            float(t.get("x")),
            float(t.get("y")) - size,
            float(t.get("x")) + charts.text_width(t.text, size),
            float(t.get("y")),
        )
        for t in texts(root, "unit-label")
    ]


def test_funnel_labels_do_not_overlap_and_stay_inside_the_chart():
    """Demo cohort: four surgeons with 66–88 patients and rates near 0.2; two names were
    printed on top of each other and one ran past the right edge."""
    units = pd.DataFrame(
        {
            "unit": [
                "Dana Demoford",
                "Hugo Loremson",
                "Karin Pretendo",
                "Rita Fixtureby",
                "Surgeon with a long name",
                "Ola Outlier",
            ],
            "n": [66, 88, 75, 74, 75, 40],
            "rate": [0.27, 0.13, 0.20, 0.198, 0.201, 0.6],
            "ranked": [True] * 6,
            "funnel_position": ["within"] * 5 + ["above 99.8 %"],
        }
    )
    grid = list(range(1, 93))
    limits = {"95 %": (grid, [0.05] * 92, [0.35] * 92)}
    root = parse(charts.funnel_chart("Funnel", units, 0.2, limits))
    boxes = label_boxes(root)
    assert len(boxes) >= 4
    for a, b in combinations(boxes, 2):
        overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        assert not overlap, (a, b)
    assert all(x0 >= 0 and x1 <= charts.W for x0, _, x1, _ in boxes)
    # The outlier is always named.
    assert "Ola Outlier" in [t.text for t in texts(root, "unit-label")]
    # Every unit is still in the chart as a point with its name in the tooltip.
    tips = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]
    assert len(tips) == len(units)


# --- the page -----------------------------------------------------------------------------------


def test_the_dashboard_page_prints_change_bounds_in_odi_points(cohort, client_for):  # noqa: F811
    """Change at 3 months: −16, −4, −10 → mean −10, 95 % CI −24.9 to 4.9 ODI points (the
    four-patient fixture and its hand computation are in tests/test_insight_dashboard.py)."""
    p = cohort
    from fusiontrack.insight.snapshot import invalidate

    invalidate()
    try:
        html = client_for(p.sofia).get("/cohort/").content.decode()
    finally:
        invalidate()
    section = html[html.index('id="t-changes"') :]
    section = section[: section.index("</section>")]
    cells = re.findall(r"<td>(.*?)</td>", section)
    row = cells[cells.index("ODI") : cells.index("ODI") + 8]
    assert row[1] == "3 months"
    assert row[-3:] == ["-10.0", "-24.9", "4.9"]
    assert "%" not in section.split("</thead>")[1]
