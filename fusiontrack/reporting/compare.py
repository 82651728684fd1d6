"""Plain-text rendering of a before/after comparison for the terminal."""

from __future__ import annotations

import pandas as pd

from fusiontrack.core.compare import Comparison, compare_frames

__all__ = ["Comparison", "compare_frames", "format_summary", "format_table"]


def _fmt(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "–"  # no threshold of that kind, or no score
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)


def format_table(per_patient: pd.DataFrame, *, limit: int = 20) -> str:
    """One line per patient and measure: baseline → follow-up, change and category."""
    key = per_patient.columns[0]
    measures = [
        c[: -len("_change")]
        for c in per_patient.columns
        if c.endswith("_change") and not c.endswith("_percent_change")
    ]
    rows = per_patient if limit <= 0 else per_patient.head(limit)
    lines = [
        f"{key:<14} {'measure':<14} {'before':>8} {'after':>8} {'change':>8} "
        f"{'%':>7}  {'MCID':<4} {'SCB':<4} {'PASS':<4} category"
    ]
    for _, row in rows.iterrows():
        for m in measures:
            if pd.isna(row[f"{m}_change"]):
                continue
            lines.append(
                f"{_fmt(row[key]):<14} {m:<14} {_fmt(row[f'{m}_baseline']):>8} "
                f"{_fmt(row[f'{m}_followup']):>8} {_fmt(row[f'{m}_change']):>8} "
                f"{_fmt(row[f'{m}_percent_change']):>7}  {_fmt(row[f'{m}_mcid']):<4} "
                f"{_fmt(row[f'{m}_scb']):<4} {_fmt(row[f'{m}_pass']):<4} {row[f'{m}_category']}"
            )
    if 0 < limit < len(per_patient):
        lines.append(f"… {len(per_patient) - limit} more patients (use -o FILE or --limit 0)")
    return "\n".join(lines)


def format_summary(summary: pd.DataFrame) -> str:
    """% reaching MCID / SCB / PASS per measure, always with numerator and denominator."""
    lines = [
        "Summary (n = patients with both scores)",
        f"{'measure':<14} {'n':>5}  {'MCID':>16}  {'SCB':>16}  {'PASS':>16}  {'worsened':>16}",
    ]
    for _, row in summary.iterrows():
        cells = []
        for name in ("mcid", "scb", "pass", "worsened"):
            if row[f"{name}_pct"] is None or pd.isna(row[f"{name}_pct"]):
                cells.append(f"{'no threshold':>16}")
            else:
                cells.append(
                    # counts are whole patients, even when pandas stored the column as float
                    f"{row[f'{name}_pct']:>5.1f}% "
                    f"({int(row[f'{name}_n'])}/{int(row[f'{name}_of'])})".rjust(16)
                )
        lines.append(f"{row['measure']:<14} {row['pairs']:>5}  " + "  ".join(cells))
    return "\n".join(lines)
