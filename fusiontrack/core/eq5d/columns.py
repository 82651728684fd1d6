"""EQ-5D columns of a scored table that are not a questionnaire of their own.

`score_table` scores the registered instruments; two EQ-5D results need more than one
instrument's items, or are a choice of the site rather than a questionnaire:

- **EQ-5D-3L index** (`eq5d3l_index`) from the 3L answers `eq5d3l_mo`, `eq5d3l_sc`, `eq5d3l_ua`,
  `eq5d3l_pd`, `eq5d3l_ad` (levels 1–3), valued with a TTO value set (three_level.py; default
  `DEFAULT_VALUE_SET_3L`). Older registries collected the 3L; its columns are named like the 5L
  ones with `eq5d3l_` in front so one file can hold both.
- **5L → 3L mappings** of the 5L answers (`eq5d_mo` … `eq5d_ad`), on request only:
  `crosswalk` adds `eq5d3l_crosswalk_index` (van Hout 2012), `dsu` adds `eq5d3l_dsu_index`
  (NICE DSU, Hernández Alava 2023), which also needs each row's age and sex. Sources are in
  mapping.py. Evidence: both tables are fragla/eq5d's (CW.csv; DSU5L extracted from
  R/sysdata.rda) [SRC/COMPUTED, shared/notes/instruments.md §3, checked in tests/test_eq5d.py and
  tests/test_scoring.py]; that NICE's reference case prefers the DSU mapping to a 5L value set
  is [UNVERIFIED — NICE manual not retrieved], so the mapping is an option, never the default.

Rows are judged as the instruments judge them: a bad answer gets a message naming the item, the
value and what is allowed, and no value; a partly answered 3L gets a message; a row that never
answered gets neither. 5L answers are not re-checked here (the EQ-5D-5L instrument already
reports them); a mapping is simply absent where the 5L index is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from fusiontrack.core.eq5d.mapping import (
    CATALOGUE_CW,
    CATALOGUE_DSU,
    DSU_AGE_MAX,
    DSU_AGE_MIN,
    crosswalk_5l_to_3l,
    dsu_map_5l_to_3l,
)
from fusiontrack.core.eq5d.three_level import CATALOGUE_3L, DEFAULT_VALUE_SET_3L, index_3l
from fusiontrack.core.errors import ScoringError
from fusiontrack.core.instruments.answers import AnswerCheck, BoolArray, FloatArray, coerce_column
from fusiontrack.core.instruments.rules.base import RowMessages

ITEMS_3L = ("eq5d3l_mo", "eq5d3l_sc", "eq5d3l_ua", "eq5d3l_pd", "eq5d3l_ad")
ITEMS_5L = ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad")
_NAMES = ("mobility", "self-care", "usual activities", "pain/discomfort", "anxiety/depression")

#: Mapping name -> the column it adds.
MAPPING_COLUMNS = {"crosswalk": "eq5d3l_crosswalk_index", "dsu": "eq5d3l_dsu_index"}
MAPPINGS: tuple[str, ...] = tuple(MAPPING_COLUMNS)

_CHECKS_3L = tuple(
    AnswerCheck.for_numbers(item, f"EQ-5D-3L {name}", [1.0, 2.0, 3.0])
    for item, name in zip(ITEMS_3L, _NAMES, strict=True)
)
_CHECKS_5L = tuple(
    AnswerCheck.for_numbers(item, f"EQ-5D {name}", [1.0, 2.0, 3.0, 4.0, 5.0])
    for item, name in zip(ITEMS_5L, _NAMES, strict=True)
)
Levels = npt.NDArray[np.int8]
_SEX = {"male": 0.0, "m": 0.0, "female": 1.0, "f": 1.0}


def has_3l_columns(columns: pd.Index) -> bool:
    return any(item in columns for item in ITEMS_3L)


def _levels(
    frame: pd.DataFrame, checks: Sequence[AnswerCheck]
) -> tuple[list[FloatArray], BoolArray, list[RowMessages]]:
    """Validated level columns (NaN = blank or bad), the rows with a bad answer, their messages."""
    n = len(frame)
    columns: list[FloatArray] = []
    bad = np.zeros(n, dtype=np.bool_)
    messages: list[RowMessages] = []
    for check in checks:
        series = frame[check.item_id] if check.item_id in frame.columns else None
        if isinstance(series, pd.DataFrame):
            raise ScoringError(
                f"Column {check.item_id} appears more than once; keep one and score again.",
                item=check.item_id,
            )
        column = coerce_column(check, series, n)
        columns.append(column.values)
        if column.bad_text.size:
            messages.append(RowMessages(None, column.bad, column.bad_text))
            bad |= column.bad
    return columns, bad, messages


def _at(columns: Sequence[FloatArray], rows: npt.NDArray[np.intp]) -> tuple[Levels, ...]:
    """The five level columns at `rows`, as small integers for the state-code lookup."""
    return tuple(np.asarray(c[rows], dtype=np.int8) for c in columns)


def eq5d3l_index_column(
    frame: pd.DataFrame, value_set: str | None = None
) -> tuple[FloatArray, list[RowMessages]]:
    """`eq5d3l_index` of every row (NaN where not computed) and the row messages."""
    value_set = DEFAULT_VALUE_SET_3L if value_set is None else value_set
    CATALOGUE_3L.resolve(value_set)  # an unknown value set fails before any row is scored
    columns, bad, messages = _levels(frame, _CHECKS_3L)
    blank = np.vstack([np.isnan(c) for c in columns]) & ~bad
    complete = ~blank.any(axis=0) & ~bad
    partial = blank.any(axis=0) & ~blank.all(axis=0) & ~bad
    index = np.full(len(frame), np.nan)
    rows = np.flatnonzero(complete)
    if rows.size:
        mo, sc, ua, pd_, ad = _at(columns, rows)
        index[rows] = index_3l(mo, sc, ua, pd_, ad, value_set=value_set)
    if partial.any():
        texts = np.array(
            [
                "EQ-5D-3L "
                + ", ".join(_NAMES[d] for d in range(5) if blank[d, row])
                + " not answered; the index needs all five dimensions."
                for row in np.flatnonzero(partial)
            ],
            dtype=object,
        )
        messages.append(RowMessages("eq5d3l_index", partial, texts))
    return index, messages


def _age_years(frame: pd.DataFrame, column: str) -> tuple[FloatArray, BoolArray, list[str]]:
    check = AnswerCheck.for_range(column, "Age", float(DSU_AGE_MIN), float(DSU_AGE_MAX), None)
    result = coerce_column(check, frame[column], len(frame))
    return result.values, result.bad, [str(t) for t in result.bad_text]


def _sex_codes(frame: pd.DataFrame, column: str) -> tuple[FloatArray, BoolArray, list[str]]:
    raw = frame[column].to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    by_value = np.full(len(uniques) + 1, np.nan)
    is_bad = np.zeros(len(uniques) + 1, dtype=np.bool_)
    texts: list[str] = []
    for k, value in enumerate(uniques):
        key = value.strip().lower() if isinstance(value, str) else value
        if key == "":
            continue
        if isinstance(key, str) and key in _SEX:
            by_value[k] = _SEX[key]
        else:
            is_bad[k] = True
    index = np.where(codes < 0, len(uniques), codes)
    bad = is_bad[index]
    for row in np.flatnonzero(bad):
        texts.append(
            f"Sex ({column}): {raw[row]!r} is not one the NICE DSU mapping knows; "
            "allowed: male, female (or m, f)."
        )
    return by_value[index], bad, texts


def mapping_columns(
    frame: pd.DataFrame,
    mappings: Sequence[str],
    *,
    country: str = "uk",
    age_column: str = "age",
    sex_column: str = "sex",
) -> tuple[dict[str, FloatArray], list[RowMessages]]:
    """The requested 5L → 3L columns and their row messages.

    A setting that cannot work for the whole table (unknown mapping or country, no age/sex
    column for the DSU mapping, no 5L columns) raises ScoringError before any row is scored.
    """
    unknown = [m for m in mappings if m not in MAPPING_COLUMNS]
    if unknown:
        raise ScoringError(
            f"unknown EQ-5D mapping {unknown[0]!r}; allowed: {', '.join(MAPPINGS)}.",
            item="eq5d_mapping",
            value=unknown[0],
            allowed=", ".join(MAPPINGS),
        )
    if not mappings:
        return {}, []
    absent = [item for item in ITEMS_5L if item not in frame.columns]
    if absent:
        raise ScoringError(
            f"the EQ-5D 5L→3L mapping needs the 5L columns; missing: {', '.join(absent)}.",
            item=absent[0],
        )
    columns, bad, _ = _levels(frame, _CHECKS_5L)  # the EQ-5D-5L instrument reports these
    levels_ok = ~np.logical_or.reduce([np.isnan(c) for c in columns]) & ~bad
    out: dict[str, FloatArray] = {}
    messages: list[RowMessages] = []
    n = len(frame)
    for mapping in dict.fromkeys(mappings):
        values = np.full(n, np.nan)
        if mapping == "crosswalk":
            CATALOGUE_CW.resolve(country)
            rows = np.flatnonzero(levels_ok)
            if rows.size:
                mo, sc, ua, pd_, ad = _at(columns, rows)
                values[rows] = crosswalk_5l_to_3l(mo, sc, ua, pd_, ad, country=country)
        else:
            CATALOGUE_DSU.resolve(country)
            for needed, what in ((age_column, "age"), (sex_column, "sex")):
                if needed not in frame.columns:
                    raise ScoringError(
                        f"the NICE DSU mapping needs each patient's {what}: the table has no "
                        f"column {needed!r}. Add it, or name the column that holds it.",
                        item=needed,
                    )
            age, age_bad, age_text = _age_years(frame, age_column)
            sex, sex_bad, sex_text = _sex_codes(frame, sex_column)
            for wrong, texts in ((age_bad, age_text), (sex_bad, sex_text)):
                shown = wrong & levels_ok  # without a 5L index there is nothing to map
                if shown.any():
                    picked = np.asarray(texts, dtype=object)[levels_ok[wrong]]
                    messages.append(RowMessages(None, shown, picked))
            blank = levels_ok & ~age_bad & ~sex_bad & (np.isnan(age) | np.isnan(sex))
            if blank.any():
                messages.append(
                    RowMessages(
                        "eq5d3l_dsu_index",
                        blank,
                        f"The NICE DSU mapping needs age ({age_column}) and sex ({sex_column}); "
                        "one is blank, so eq5d3l_dsu_index is not given.",
                    )
                )
            rows = np.flatnonzero(levels_ok & ~np.isnan(age) & ~np.isnan(sex))
            if rows.size:
                mo, sc, ua, pd_, ad = _at(columns, rows)
                sexes = np.where(sex[rows] == 0.0, "male", "female")
                values[rows] = dsu_map_5l_to_3l(
                    mo, sc, ua, pd_, ad, age=age[rows], sex=sexes, country=country
                )
        out[MAPPING_COLUMNS[mapping]] = values
    return out, messages
