"""One pipeline for the web page, the CSV, the PDF and the CLI: load → aggregate → de-identify →
chart. Views and commands only authorise and respond.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from fusiontrack.core import vocab
from fusiontrack.core.outcomes import MEASURES
from fusiontrack.insight import charts, snapshot
from fusiontrack.insight.aggregates import KM_TIMES, Dashboard, build_dashboard
from fusiontrack.insight.benchmarking import (
    OUTCOMES,
    UNITS,
    BenchmarkPanel,
    benchmark,
    patient_frame,
)
from fusiontrack.insight.filters import CohortFilter
from fusiontrack.insight.presentation import display
from fusiontrack.insight.privacy import suppress, surgeon_codes
from fusiontrack.insight.queries import CohortData, load_cohort
from fusiontrack.insight.radiographic import load_changes, radiographic_table

TP_ORDER = vocab.codes(vocab.TIMEPOINTS)


@dataclass
class CohortView:
    """A computed dashboard ready to render: tables (suppressed if de-identified) and charts."""

    data: CohortData
    board: Dashboard
    deidentified: bool
    charts: dict[str, str] = field(default_factory=dict)
    surgeon_labels: dict[int, str] = field(default_factory=dict)
    #: (section title, display tables, SVGs) for benchmarking, after the fixed sections.
    benchmark_sections: list[tuple[str, list[dict[str, object]], list[str]]] = field(
        default_factory=list
    )


def surgeon_labels(data: CohortData, deidentified: bool) -> dict[int, str]:
    ids = [int(s) for s in data.episodes["surgeon_id"].dropna().unique()]
    if deidentified:
        return surgeon_codes(ids)
    return {pk: data.surgeon_names.get(pk, f"Surgeon {pk}") for pk in ids}


def compute(
    site_ids: Sequence[int],
    filters: CohortFilter,
    *,
    as_of: dt.date,
    deidentified: bool,
    min_unit: int = 20,
    models: bool = True,
    cached: bool = True,
) -> CohortView:
    """Load (from the in-memory snapshot when ``cached``), aggregate (with the radiographic
    measures, one query), and with ``models`` also the attrition (IPW) and benchmarking models
    (units under ``min_unit`` patients not ranked); de-identify (researchers: small cells
    suppressed, surgeons pseudonymised); chart."""
    # De-identified (research) views hold only patients whose data may be used for research.
    if cached:
        data = snapshot.cohort(site_ids, filters, as_of, research=deidentified)
    else:
        data = load_cohort(site_ids, filters, as_of=as_of, research=deidentified)
    labels = surgeon_labels(data, deidentified)

    def aggregate() -> tuple[Dashboard, list[BenchmarkPanel]]:
        panels = _benchmarks(data, labels, min_unit, deidentified) if models else []
        return build_dashboard(data, models=models), panels

    if cached:  # once per snapshot version: the page, its CSVs and the PDF share the result
        key = ("cohort", tuple(sorted(site_ids)), as_of, deidentified, filters, models, min_unit)
        shared, panels = snapshot.memo(data, key, aggregate)
        board = replace(shared, tables=dict(shared.tables))  # the shared one stays as it is
    else:
        board, panels = aggregate()
    # Radiographic measures are not in the snapshot: one query on the filtered cohort's ids.
    board.add(radiographic_table(load_changes(site_ids, data)))
    for panel in panels:
        board.add(panel.table)
    if deidentified:
        board.tables = {k: suppress(t) for k, t in board.tables.items()}
    view = CohortView(data, board, deidentified, surgeon_labels=labels)
    view.charts = make_charts(board, deidentified)
    view.benchmark_sections = (
        [
            (
                "Benchmarking (risk-adjusted, funnel plots with 95 % and 99.8 % limits)",
                [display(board.tables[p.table.key]) for p in panels],
                [p.svg for p in panels if p.svg],
            )
        ]
        if models
        else []
    )
    return view


def _benchmarks(
    data: CohortData, labels: dict[int, str], min_unit: int, deidentified: bool
) -> list[BenchmarkPanel]:
    if data.episodes.empty:
        return []
    frame = patient_frame(data, labels)
    return [
        benchmark(frame, outcome, unit, min_n=min_unit, hide_below=5 if deidentified else 0)
        for outcome in OUTCOMES
        for unit in UNITS
    ]


def make_charts(board: Dashboard, deidentified: bool) -> dict[str, str]:
    """One mean-trajectory chart per measure and the KM chart (not drawn from suppressed
    rows: a hidden mean is simply absent)."""
    out: dict[str, str] = {}
    means = board.tables["means"].frame
    for measure, rows in means.groupby("measure", sort=False, observed=True):
        label = MEASURES[str(measure)].label if str(measure) in MEASURES else str(measure)
        present = [tp for tp in TP_ORDER if tp in set(rows["timepoint"])]
        out[f"means-{measure}"] = charts.mean_chart(f"{label}: mean and 95 % CI", rows, present)
    if board.km_curves:
        curves = board.km_curves
        if deidentified:
            curves = {k: _hide_small_risk_sets(c) for k, c in curves.items()}
        out["survival"] = charts.km_chart(
            "Reoperation-free and complication-free survival", curves, KM_TIMES
        )
    return out


def _hide_small_risk_sets(curve: pd.DataFrame) -> pd.DataFrame:
    """For researchers, stop a curve where fewer than 5 patients remain at risk."""
    return curve.assign(
        survival=curve["survival"].where(curve["at_risk"] >= 5),
        at_risk=curve["at_risk"].where(curve["at_risk"] >= 5, 0),
    )
