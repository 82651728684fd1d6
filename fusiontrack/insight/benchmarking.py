"""Surgeon and site benchmarking (issue 5 §3): risk-adjusted 12-month ODI MCID rate and 90-day
complication rate as funnel plots, with the core's `RiskAdjustedBenchmark`.

The risk model is fitted on the cohort being viewed (the viewer's sites, after the filters), so
"expected" means "expected in this cohort given each patient's baseline factors". Units below
`min_n` patients (default 20, configurable) are plotted in grey and not ranked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fusiontrack.core.outcomes import classify_change_batch
from fusiontrack.core.stats import (
    ModelFitError,
    RiskAdjustedBenchmark,
    StatsInputError,
    funnel_limits,
)
from fusiontrack.insight import charts
from fusiontrack.insight.aggregates import Table
from fusiontrack.insight.queries import CohortData, days_after_surgery

#: Baseline factors of the risk models (complete cases; a patient missing one is excluded
#: and counted). SOURCE MISSING: no published lumbar-fusion case-mix model was adopted; these
#: are the registry's recorded baseline factors that NORspine/QOD adjust for in kind
#: (shared/notes/anchors.md [NO6], [QOD1]).
MCID_COVARIATES = ("age", "sex", "asa", "smoking", "diagnosis", "odi_baseline")
COMPLICATION_COVARIATES = ("age", "sex", "asa", "smoking", "diagnosis")
COMPLICATION_DAYS = 90
OUTCOMES = {
    "mcid_12m": ("12-month ODI MCID rate", True, MCID_COVARIATES),
    "complication_90d": (
        f"Complication within {COMPLICATION_DAYS} days",
        False,
        COMPLICATION_COVARIATES,
    ),
}
UNITS = {"surgeon": "Surgeon", "site": "Site"}


@dataclass
class BenchmarkPanel:
    table: Table
    svg: str
    method: str


def patient_frame(data: CohortData, surgeon_labels: dict[int, str]) -> pd.DataFrame:
    """One row per episode: baseline factors, the two outcomes (blank = not observable), units."""
    ep = data.episodes
    odi = data.wide("odi")
    frame = pd.DataFrame(
        {
            "age": ep["age"].astype(float),
            "sex": ep["sex"],
            "asa": ep["asa"].replace("", np.nan),
            "smoking": ep["smoking"].replace("", np.nan),
            "diagnosis": ep["diagnosis"],
            "odi_baseline": odi.get("baseline", np.nan),
            "site": ep["site"],
            "surgeon": ep["surgeon_id"].astype("Int64").map(surgeon_labels),
        },
        index=ep.index,
    )
    mcid = pd.Series(np.nan, index=ep.index)
    if "baseline" in odi and "12m" in odi:
        has = odi["baseline"].notna() & odi["12m"].notna()
        flags = classify_change_batch("odi", odi.loc[has, "baseline"], odi.loc[has, "12m"])
        mcid[has] = flags["mcid"].astype(float)
    frame["mcid_12m"] = mcid
    comp = data.complications
    days = days_after_surgery(data, comp, "occurred_on")
    hit = set(comp.loc[(days >= 0) & (days <= COMPLICATION_DAYS), "episode_id"])
    followed = (pd.Timestamp(data.as_of) - ep["surgery_date"]).dt.days >= COMPLICATION_DAYS
    frame["complication_90d"] = np.where(followed, ep.index.isin(hit).astype(float), np.nan)
    return frame


def benchmark(
    frame: pd.DataFrame, outcome: str, unit: str, *, min_n: int = 20, hide_below: int = 0
) -> BenchmarkPanel:
    """Funnel plot and table for one outcome and unit kind, or a table saying why not."""
    title, higher_better, covariates = OUTCOMES[outcome]
    key = f"benchmark-{outcome}-{unit}"
    heading = f"{title} by {UNITS[unit].lower()}, risk-adjusted"
    try:
        fitted = RiskAdjustedBenchmark(covariates, higher_is_better=higher_better, min_n=min_n).fit(
            frame, outcome, unit
        )
    except (StatsInputError, ModelFitError) as exc:
        message = pd.DataFrame([{"unit": "–", "note": f"Not benchmarked: {exc}"}])
        return BenchmarkPanel(Table(key, heading, message), "", "")
    result = fitted.result_
    rows = pd.DataFrame(
        [
            {
                "unit": u.unit,
                "n": u.n,
                "observed": u.observed,
                "expected": u.expected,
                "oe_ratio": u.oe_ratio,
                "risk_standardised_rate": u.risk_standardised_rate,
                "reliability_adjusted_rate": u.reliability_adjusted_rate,
                "funnel_position": u.funnel_position,
                "rank": u.rank,
                "note": u.note,
            }
            for u in result.units
        ]
    )
    shown = rows[rows["n"] >= hide_below] if hide_below else rows
    n_max = int(max(rows["n"].max(), min_n)) if len(rows) else min_n
    grid = np.unique(np.geomspace(1, max(n_max * 1.05, 2), 80).astype(int))
    limits = funnel_limits(result.target, grid)
    svg = charts.funnel_chart(
        heading,
        shown.assign(rate=shown["risk_standardised_rate"], ranked=shown["rank"].notna()),
        result.target,
        {f"{100 * lv:g} %": (grid.tolist(), *limits.at(lv)) for lv in limits.levels},
    )
    note = (
        f"Registry rate {100 * result.target:.1f} % over {result.n_patients} patients "
        f"({result.n_excluded} without the outcome or a baseline factor excluded). " + result.method
    )
    table = Table(
        key,
        heading,
        rows,
        note,
        counts=("n", "observed"),
        derived=("expected", "oe_ratio", "risk_standardised_rate", "reliability_adjusted_rate"),
    )
    return BenchmarkPanel(table, svg, result.method)
