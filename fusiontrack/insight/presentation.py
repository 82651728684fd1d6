"""Tables as rows of display strings for the HTML page and the PDF (numbers stay in the CSV)."""

from __future__ import annotations

import math
from typing import Any

from fusiontrack.core import vocab
from fusiontrack.core.outcomes import MEASURES
from fusiontrack.insight.aggregates import Table

PERCENT_OF_ONE = {"proportion", "lower", "upper", "survival", "estimate"}
TP_LABELS = dict(vocab.TIMEPOINTS)


def cell(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, str):
        if column == "measure":
            return MEASURES[value].short if value in MEASURES else value
        if column == "timepoint":
            return TP_LABELS.get(value, value)
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if column in PERCENT_OF_ONE:
            return f"{100 * value:.1f} %"
        if column == "percent":
            return f"{value:.1f} %"
        if column.startswith("n") and value.is_integer():
            return f"{int(value):,}"
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def display(table: Table) -> dict[str, Any]:
    frame = table.frame
    columns = [str(c) for c in frame.columns]
    rows = [
        [cell(c, v) for c, v in zip(columns, row, strict=True)]
        for row in frame.itertuples(index=False)
    ]
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "columns": [c.replace("_", " ") for c in columns],
        "rows": rows,
    }
