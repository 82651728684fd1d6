"""Before vs after for a set of patients: pair baseline and follow-up scores by patient and
classify each measure's change with the outcome thresholds.

Used by `fusiontrack compare` and by anything else that has two scored tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from fusiontrack.core.errors import FusiontrackError
from fusiontrack.core.outcomes import MEASURES, classify_change_batch

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
    for frame, label in ((baseline, "baseline"), (followup, "follow-up")):
        if key not in frame.columns:
            raise FusiontrackError(f"the {label} table has no column {key!r}")
        _duplicates(frame, key, label)
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
    summary_rows = []
    for measure in measures:
        before = pd.to_numeric(paired[f"{measure}_baseline"], errors="coerce").to_numpy(float)
        after = pd.to_numeric(paired[f"{measure}_followup"], errors="coerce").to_numpy(float)
        result = classify_change_batch(measure, before, after, threshold_set=threshold_set)
        for column in RESULT_COLUMNS:
            name = "pass" if column == "pass_" else column
            out[f"{measure}_{name}"] = result[column].to_numpy()
        summary_rows.append(_summarise(measure, result))
    per_patient = out[out[[f"{m}_change" for m in measures]].notna().any(axis=1)]
    return Comparison(per_patient.reset_index(drop=True), pd.DataFrame(summary_rows))


def _summarise(measure: str, result: pd.DataFrame) -> dict[str, object]:
    assessable = result["change"].notna()
    n = int(assessable.sum())
    row: dict[str, object] = {"measure": measure, "pairs": n}
    for column, name in (
        ("mcid", "mcid"),
        ("scb", "scb"),
        ("pass_", "pass"),
        ("worsened", "worsened"),
    ):
        flags = result.loc[assessable, column]
        defined = flags.notna()
        hits = int(flags[defined].astype(bool).sum())
        row[f"{name}_n"] = hits
        row[f"{name}_of"] = int(defined.sum())
        row[f"{name}_pct"] = round(100.0 * hits / int(defined.sum()), 1) if defined.any() else None
    return row
