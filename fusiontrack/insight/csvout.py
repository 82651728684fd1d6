"""CSV downloads of every chart's numbers, safe to open in a spreadsheet.

Cells starting with = + - @ (and tab / carriage return) are prefixed with ' so a spreadsheet
does not run them as formulas (OWASP "CSV Injection"). Negative numbers are numbers, not text,
so they are written unprefixed: only text cells are neutralised.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(round(value, 6)) if isinstance(value, float) else str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def frame_to_csv(frame: pd.DataFrame, *, comment: str = "") -> str:
    """CSV text of ``frame`` (header row, then one row per table row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if comment:
        writer.writerow([safe_cell("# " + comment)])
    writer.writerow([safe_cell(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow([safe_cell(v.item() if hasattr(v, "item") else v) for v in row])
    return out.getvalue()
