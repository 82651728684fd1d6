"""The patient and cohort PDFs: Django templates rendered to PDF with WeasyPrint (imported lazily).

The cohort report follows the section order of the Swespine and NORspine annual reports
(shared/notes/anchors.md [SW1], [NO2]): who was operated (cohort description), outcomes before
vs after, complications, completeness of follow-up, then benchmarking between units.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pandas as pd
from django.template.loader import render_to_string

from fusiontrack.core import vocab
from fusiontrack.core.outcomes import MEASURES, classify_change
from fusiontrack.insight import charts
from fusiontrack.insight.aggregates import MEASURE_ORDER, Table
from fusiontrack.insight.presentation import display
from fusiontrack.insight.privacy import RULE
from fusiontrack.insight.service import CohortView
from fusiontrack.registry import models as m

TP_ORDER = vocab.codes(vocab.TIMEPOINTS)
TP_LABELS = dict(vocab.TIMEPOINTS)
COHORT_SECTIONS = (
    ("1. Cohort description", ("cohort",)),
    ("2. Patient-reported outcomes", ("means", "changes", "thresholds")),
    (
        "3. Complications, readmission and reoperation",
        ("complications", "clavien_dindo", "early_events", "survival"),
    ),
    (
        "4. Fusion, length of stay and return to work",
        ("fusion", "length_of_stay", "return_to_work"),
    ),
    (
        "5. Completeness of follow-up and attrition",
        ("completeness", "attrition_ipw", "attrition_baseline"),
    ),
    ("6. Radiographic measures", ("radiographic",)),
)


def html_to_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes (WeasyPrint is heavy, so it is imported here only)."""
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())


# --- cohort --------------------------------------------------------------------------------------


def cohort_html(view: CohortView, *, as_of: dt.date, title: str = "") -> str:
    board = view.board
    sections = [
        (name, [report_table(board.tables[k]) for k in keys if k in board.tables])
        for name, keys in COHORT_SECTIONS
    ]
    extra = [
        (name, [_polish(dict(t)) for t in tables], figures(svgs))
        for name, tables, svgs in view.benchmark_sections
    ]
    chart_figures = figures(view.charts.values())
    survival = view.charts.get("survival")
    return render_to_string(
        "insight/report_cohort.html",
        {
            "title": title or "fusiontrack registry",
            "as_of": as_of,
            "filters": view.data.filters.describe(),
            "n_episodes": board.n_episodes,
            "n_patients": board.n_patients,
            "sections": sections,
            "charts": [f for f in chart_figures if f["svg"] != survival],
            "survival": figures([survival])[0] if survival else None,
            "deidentified": view.deidentified,
            "rule": RULE,
            "extra_sections": extra,
            "attrition_explanation": board.attrition_explanation,
        },
    )


# --- display for print ------------------------------------------------------------------------

#: Above this many columns a table is set in a smaller type so it fits the A4 width.
WIDE_COLUMNS = 8
#: Tables with at most this many rows are kept on one page with their title.
KEEP_ROWS = 18
_NUMBER = re.compile(r"[-+<>]?[\d,.]+( %)?|–")
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def report_table(table: Table) -> dict[str, Any]:
    """``presentation.display`` for print (it already orders time points, puts interval
    bounds in their estimate's unit and labels category codes): numeric columns
    right-aligned, and the free-text ``note`` column of a wider table moved under it (it
    pushed the attrition table past the right margin)."""
    out = display(table)
    columns = [str(c) for c in table.frame.columns]
    if "note" in columns and len(columns) > 2:
        out = _notes_below(out, columns.index("note"))
    return _polish(out)


def _notes_below(out: dict[str, Any], i: int) -> dict[str, Any]:
    """Move the free-text note column ``i`` under the table, each note naming its row."""
    naming = [j for j, c in enumerate(out["columns"]) if c in ("measure", "timepoint", "unit")]
    out["row_notes"] = [
        " ".join(row[j] for j in naming if row[j] != "–") + ": " + row[i]
        for row in out["rows"]
        if row[i] not in ("", "–")
    ]
    out["columns"] = out["columns"][:i] + out["columns"][i + 1 :]
    out["rows"] = [row[:i] + row[i + 1 :] for row in out["rows"]]
    return out


def _polish(table: dict[str, Any]) -> dict[str, Any]:
    """Print flags on a display table (also the benchmarking ones)."""
    table["rows"] = [[str(v) for v in row] for row in table["rows"]]
    # A column of numbers (or suppressed "<5" cells, or "–") is right-aligned.
    table["numeric"] = [
        bool(table["rows"]) and all(_NUMBER.fullmatch(row[i]) for row in table["rows"])
        for i in range(len(table["columns"]))
    ]
    table["cells"] = [list(zip(row, table["numeric"], strict=True)) for row in table["rows"]]
    table["heads"] = list(zip(table["columns"], table["numeric"], strict=True))
    table["wide"] = len(table["columns"]) > WIDE_COLUMNS
    table["keep"] = len(table["rows"]) <= KEEP_ROWS
    return table


def figures(svgs: Any) -> list[dict[str, str]]:
    """Each SVG with its <title> as a visible caption (the title alone is not printed)."""
    out = []
    for svg in svgs:
        found = _TITLE.search(svg)
        out.append({"caption": html.unescape(found.group(1)) if found else "", "svg": svg})
    return out


def cohort_pdf(view: CohortView, *, as_of: dt.date, title: str = "") -> bytes:
    return html_to_pdf(cohort_html(view, as_of=as_of, title=title))


# --- patient -------------------------------------------------------------------------------------


def patient_context(patient: m.Patient, *, as_of: dt.date) -> dict[str, Any]:
    """Everything one patient's report shows, per episode (a handful of queries)."""
    episodes = list(
        m.Episode.objects.filter(patient=patient)
        .select_related("surgeon", "site")
        .prefetch_related(
            "diagnoses",
            "operations",
            "complications",
            "reoperations",
            "stage_events",
            "fusion_assessments",
            "follow_ups",
        )
        .order_by("opened_on", "id")
    )
    scores = pd.DataFrame.from_records(
        list(
            m.Score.objects.filter(patient=patient)
            .order_by("responded_on", "id")
            .values_list("episode_id", "measure", "timepoint", "value", "responded_on")
        ),
        columns=["episode_id", "measure", "timepoint", "value", "responded_on"],
    )
    out = []
    for episode in episodes:
        rows, charts_ = _score_rows(scores[scores["episode_id"] == episode.pk])
        out.append(
            {
                "episode": episode,
                "surgeon": episode.surgeon.get_full_name() if episode.surgeon else "",
                "diagnoses": list(episode.diagnoses.all()),
                "operations": list(episode.operations.all()),
                "complications": list(episode.complications.all()),
                "reoperations": list(episode.reoperations.all()),
                "timeline": _timeline(episode),
                "score_rows": rows,
                "charts": charts_,
            }
        )
    return {
        "patient": patient,
        "as_of": as_of,
        "episodes": out,
        "age": _age(patient.date_of_birth, as_of),
    }


def patient_pdf(patient: m.Patient, *, as_of: dt.date) -> bytes:
    html = render_to_string("insight/report_patient.html", patient_context(patient, as_of=as_of))
    return html_to_pdf(html)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _score_rows(scores: pd.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Per measure: value at each time point, change from baseline at the latest one and its
    classification against the published thresholds (fusiontrack.core.outcomes)."""
    # Outcome measures only (not sub-scores such as "odi_answered"), in the dashboard's order.
    scores = scores[scores["measure"].isin(list(MEASURES))]
    order = {m: i for i, m in enumerate((*MEASURE_ORDER, *MEASURES))}
    scores = scores.drop_duplicates(["measure", "timepoint"], keep="last")
    scores = scores.iloc[scores["measure"].map(order).argsort(kind="stable")]
    rows: list[dict[str, Any]] = []
    drawn: list[dict[str, str]] = []
    present = [tp for tp in TP_ORDER if tp in set(scores["timepoint"])]
    for measure, group in scores.groupby("measure", sort=False):
        by_tp = dict(zip(group["timepoint"], group["value"], strict=True))
        latest = next((tp for tp in reversed(present) if tp in by_tp and tp != "baseline"), None)
        verdict = ""
        if "baseline" in by_tp and latest and measure in MEASURES:
            result = classify_change(str(measure), by_tp["baseline"], by_tp[latest])
            verdict = f"{result.category.replace('_', ' ')} at {TP_LABELS[latest]}"
        label = MEASURES[str(measure)].short if measure in MEASURES else str(measure)
        rows.append(
            {
                "measure": label,
                "values": [_fmt(by_tp.get(tp)) for tp in present],
                "verdict": verdict,
            }
        )
        frame = pd.DataFrame({"timepoint": list(by_tp), "mean": list(by_tp.values())})
        frame["lower"] = frame["upper"] = float("nan")
        # Every chart on the same time axis (a missing answer is a gap in the line's points).
        name = MEASURES[str(measure)].label if measure in MEASURES else str(measure)
        drawn.append({"caption": name, "svg": charts.mean_chart(name, frame, present)})
    return [{"header": [TP_LABELS[tp] for tp in present]}, *rows], drawn


def _fmt(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2f}".rstrip("0").rstrip(".")


def _timeline(episode: m.Episode) -> list[tuple[dt.date, str]]:
    stages = dict(vocab.EPISODE_STAGES)
    items = [
        (e.entered_on, f"Stage: {stages.get(e.stage, e.stage)}") for e in episode.stage_events.all()
    ]
    items += [
        (o.operation_date, f"Operation: {o.get_approach_display()} {o.levels}")
        for o in episode.operations.all()
    ]
    items += [
        (
            c.occurred_on,
            f"Complication: {c.get_category_display()} (Clavien–Dindo {c.clavien_dindo})",
        )
        for c in episode.complications.all()
    ]
    items += [(r.reoperation_date, f"Reoperation: {r.reason}") for r in episode.reoperations.all()]
    items += [
        (f.assessment_date, f"Fusion assessment: {f.get_judgement_display()}")
        for f in episode.fusion_assessments.all()
    ]
    items += [
        (
            f.completed_on or f.due_on,
            f"Follow-up {TP_LABELS.get(f.timepoint, f.timepoint)}: "
            f"{f.get_status_display().lower()}",
        )
        for f in episode.follow_ups.all()
    ]
    return sorted(items, key=lambda item: item[0])
