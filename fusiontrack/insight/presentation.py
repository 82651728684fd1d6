"""Tables as rows of display strings for the HTML page and the PDF (numbers stay in the CSV).

Units follow the estimate: a share (proportion, survival, a rate) is printed as a percentage,
a mean or a change in the measure's own unit, and an interval bound in the unit of the estimate
it bounds (a 95 % CI of a mean ODI of 23.0 is "20.1" to "25.9", not "2010.0 %"). Rows are in
clinical time order, category codes are printed as their labels, and there is no "-0.00".
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from fusiontrack.core import vocab
from fusiontrack.core.outcomes import MEASURES
from fusiontrack.insight.aggregates import Table

#: Columns that hold a share of one (printed as a percentage).
SHARES = {
    "proportion",
    "survival",
    "estimate",
    "complete_case",
    "ipw",
    "risk_standardised_rate",
    "reliability_adjusted_rate",
}
#: Estimates in a measure's own unit (their interval bounds are in that unit too).
IN_UNITS = {"mean", "mean_change", "value"}
#: Interval bounds -> the estimate they bound (``lower``/``upper``: whichever the table has).
BOUNDS = {
    "cc_lower": "complete_case",
    "cc_upper": "complete_case",
    "ipw_lower": "ipw",
    "ipw_upper": "ipw",
    "change_lower": "mean_change",
    "change_upper": "mean_change",
}
#: Kept for callers that format a lone cell: without a table around it, "lower"/"upper" are
#: bounds of a share.
PERCENT_OF_ONE = {*SHARES, "lower", "upper"}
#: In the responders/non-responders table these are means, or shares on a category's row.
GROUP_VALUES = {"responders", "non_responders", "weighted_responders"}
TP_LABELS = dict(vocab.TIMEPOINTS)
TP_ORDER = vocab.codes(vocab.TIMEPOINTS)
#: Category codes by the variable label they appear under (the attrition baseline table).
CATEGORY_LABELS = {
    "sex": dict(vocab.SEX),
    "smoking": dict(vocab.SMOKING_STATUS),
    "ASA class": dict(vocab.ASA_CLASSES),
    "diagnosis": dict(vocab.DIAGNOSES),
}
_NEGATIVE_ZERO = re.compile(r"^-(0(?:\.0+)?(?: %)?)$")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def measure_decimals(measure: Any) -> int | None:
    """Decimals for a measure's scores: 2 on a scale up to 10 points wide (pain 0–10, COMI,
    EQ-5D index), 1 on wider ones (ODI, EQ VAS, PROMIS T-scores); None if not a measure."""
    found = MEASURES.get(str(measure)) if isinstance(measure, str) else None
    if found is None:
        return None
    if found.max is not None and found.max - (found.min or 0.0) <= 10:
        return 2
    return 1


def _number(value: float, decimals: int | None) -> str:
    if decimals is None:
        decimals = 2 if abs(value) < 10 else 1
    return f"{value:.{decimals}f}"


def cell(
    column: str, value: Any, *, percent: bool | None = None, decimals: int | None = None
) -> str:
    """One value as text. ``percent`` overrides whether a float is a share of one (default:
    by column name); ``decimals`` fixes the decimals of a plain number."""
    if _missing(value):
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
        if math.isinf(value):
            return "–"
        if percent if percent is not None else column in PERCENT_OF_ONE:
            text = f"{100 * value:.1f} %"
        elif column == "percent":
            text = f"{value:.1f} %"
        elif (column.startswith("n") or column in ("months", "within_days")) and (
            value.is_integer()
        ):
            text = f"{int(value):,}"
        else:
            text = _number(value, decimals)
        return _NEGATIVE_ZERO.sub(r"\1", text)
    return str(value)


def clinical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by measure (in order of first appearance) and time point in clinical order
    (baseline, 6 weeks, 3 months, …); other rows keep their order (stable)."""
    if "timepoint" not in frame.columns or frame.empty:
        return frame
    order = {tp: i for i, tp in enumerate(TP_ORDER)}
    keys = pd.DataFrame(index=frame.index)
    if "measure" in frame.columns:
        seen = {m: i for i, m in enumerate(dict.fromkeys(frame["measure"].astype(str)))}
        keys["measure"] = frame["measure"].astype(str).map(seen)
    keys["timepoint"] = frame["timepoint"].astype(str).map(order).fillna(len(order))
    return frame.loc[keys.sort_values(list(keys.columns), kind="stable").index]


def _bound_is_share(column: str, columns: set[str]) -> bool | None:
    """Whether an interval-bound column is a share; None if ``column`` is not a bound."""
    if column in BOUNDS:
        return BOUNDS[column] in SHARES
    if column in ("lower", "upper"):
        # A bound of a mean or a change is in the measure's unit; otherwise of a share.
        return not (IN_UNITS & columns) or bool(SHARES & columns)
    return None


def display(table: Table) -> dict[str, Any]:
    frame = clinical_order(table.frame).reset_index(drop=True)
    columns = [str(c) for c in frame.columns]
    present = set(columns)
    shares = {c: _bound_is_share(c, present) for c in columns}
    has_measure = "measure" in present
    rows = []
    for row in frame.itertuples(index=False):
        values = dict(zip(columns, row, strict=True))
        decimals = measure_decimals(values["measure"]) if has_measure else None
        if decimals is None and has_measure and values.get("unit") not in (None, ""):
            # Radiographic measures: degrees and millimetres to 0.1, ratios to 0.01.
            decimals = 2 if values["unit"] == "ratio" else 1
        category = values.get("level") not in (None, "") and not _missing(values.get("level"))
        out = []
        for column, value in values.items():
            percent = shares[column]
            if column in GROUP_VALUES:
                percent = category
            if column == "level" and isinstance(value, str):
                value = CATEGORY_LABELS.get(str(values.get("variable")), {}).get(value, value)
            out.append(cell(column, value, percent=percent, decimals=decimals))
        rows.append(out)
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "columns": [c.replace("_", " ") for c in columns],
        "rows": rows,
    }
