"""Before vs after for a set of patients: pair baseline and follow-up scores by patient and
classify each measure's change with the outcome thresholds.

Used by `fusiontrack compare` and by anything else that has two scored tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from fusiontrack.core.errors import FusiontrackError
from fusiontrack.core.outcomes import MEASURES, classify_change_batch, summarise
from fusiontrack.core.outcomes.summary import OutcomeSummary, Rate

#: Columns of the per-measure classification copied into the per-patient table, in order.
RESULT_COLUMNS = (
    "baseline",
    "followup",
    "change",
    "percent_change",
    "mcid",
    "scb",
    "pass_",
    "worsened",
    "category",
)


@dataclass(frozen=True)
class Comparison:
    """Per-patient classification (one row per patient) and a per-measure summary."""

    per_patient: pd.DataFrame
    summary: pd.DataFrame
    #: Rows left out because their key is blank, per file ("baseline", "follow-up"): a blank id
    #: cannot be paired (pandas would pair blank with blank).
    blank_keys: Mapping[str, int] = field(default_factory=dict)


def _duplicates(frame: pd.DataFrame, key: str, label: str) -> None:
    dup = frame[key][frame[key].duplicated()].unique()
    if len(dup):
        shown = ", ".join(map(str, dup[:5]))
        raise FusiontrackError(
            f"the {label} file has more than one row for {key} {shown}; keep one row per patient "
            "(e.g. the response closest to the time point) and run again"
        )


def compare_frames(
    baseline: pd.DataFrame, followup: pd.DataFrame, *, key: str, threshold_set: str = "default"
) -> Comparison:
    """Pair two scored tables on `key` and classify every measure present in both."""
    blank_keys: dict[str, int] = {}
    kept = []
    for frame, label in ((baseline, "baseline"), (followup, "follow-up")):
        if key not in frame.columns:
            raise FusiontrackError(f"the {label} table has no column {key!r}")
        ids = frame[key]
        blank = ids.isna() | ids.astype(str).str.strip().eq("")
        if blank.any():
            blank_keys[label] = int(blank.sum())
            frame = frame[~blank]
        _duplicates(frame, key, label)
        kept.append(frame)
    baseline, followup = kept
    measures = [m for m in MEASURES if m in baseline.columns and m in followup.columns]
    if not measures:
        raise FusiontrackError(
            "no outcome measure is scored in both files; include the item columns "
            "(e.g. odi_1…odi_10, nrs_back, eq5d_mo…) in both"
        )
    paired = baseline[[key, *measures]].merge(
        followup[[key, *measures]], on=key, how="inner", suffixes=("_baseline", "_followup")
    )
    out = pd.DataFrame({key: paired[key].to_numpy()})
    results = []
    for measure in measures:
        before = pd.to_numeric(paired[f"{measure}_baseline"], errors="coerce").to_numpy(float)
        after = pd.to_numeric(paired[f"{measure}_followup"], errors="coerce").to_numpy(float)
        result = classify_change_batch(measure, before, after, threshold_set=threshold_set)
        for column in RESULT_COLUMNS:
            name = "pass" if column == "pass_" else column
            out[f"{measure}_{name}"] = result[column].to_numpy()
        results.append(result)
    per_patient = out[out[[f"{m}_change" for m in measures]].notna().any(axis=1)]
    summaries = summarise(pd.concat(results, ignore_index=True))
    summary = pd.DataFrame([_summary_row(summaries[m]) for m in measures if m in summaries])
    return Comparison(per_patient.reset_index(drop=True), summary, blank_keys)


def _summary_row(summary: OutcomeSummary) -> dict[str, object]:
    row: dict[str, object] = {"measure": summary.measure, "pairs": summary.n_assessable}
    for flag, name in (
        ("mcid", "mcid"),
        ("scb", "scb"),
        ("pass_", "pass"),
        ("worsened", "worsened"),
    ):
        rate: Rate | None = getattr(summary, flag)
        row[f"{name}_n"] = None if rate is None else rate.numerator
        row[f"{name}_of"] = None if rate is None else rate.denominator
        row[f"{name}_pct"] = (
            None if rate is None or rate.percent is None else round(rate.percent, 1)
        )
    return row
