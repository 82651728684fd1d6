"""Score a whole table of responses: every instrument whose item columns are present.

This is what `fusiontrack score IN.csv -o OUT.csv` runs. The output keeps every input column and
adds each detected instrument's score columns plus `errors` ('' when the row is fine; otherwise
every instrument's messages joined with '; ').

Rows are judged per instrument part (the ODI; back-pain NRS; one PROMIS domain; ...):

- an answer outside the allowed values is always reported, and that instrument is not scored;
- a part the row did not answer at all gets no score and no message, so mixed tables (baseline
  rows with ODI, follow-up rows without) stay quiet;
- a partly answered part is reported as incomplete — but only when the file has a column for
  every item of that part. A file that lacks some item columns altogether (e.g. only `odi_1`)
  cannot be complete on any row; those parts get no score and no per-row message, and
  `missing_item_columns` tells the caller once, for the whole file.

Columns that are both item and score (`nrs_back`, `nrs_leg`, `global_outcome`, ...) are kept as
given; bad values in them are reported in `errors`. Score columns already in the input (e.g. when
an output file is scored again) and an old `errors` column are replaced by fresh ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fusiontrack.core.eq5d import columns as eq5d_columns
from fusiontrack.core.errors import ScoringError
from fusiontrack.core.instruments.answers import BoolArray
from fusiontrack.core.instruments.api import (
    ScoreColumn,
    evaluate_batch,
    join_messages,
    resolve_options,
)
from fusiontrack.core.instruments.registry import INSTRUMENTS
from fusiontrack.core.instruments.rules.base import RowMessages
from fusiontrack.core.instruments.schema import Instrument


def detect_instruments(columns: pd.Index) -> list[Instrument]:
    """Instruments with at least one item column in `columns`, in registry order."""
    present = set(columns)
    return [
        instrument
        for instrument in INSTRUMENTS.values()
        if any(item_id in present for item_id in instrument.item_ids)
    ]


def missing_item_columns(columns: pd.Index) -> dict[str, list[str]]:
    """For each detected instrument, the item columns the file lacks (empty lists omitted)."""
    present = set(columns)
    gaps = {
        instrument.id: [item_id for item_id in instrument.item_ids if item_id not in present]
        for instrument in detect_instruments(columns)
    }
    return {instrument_id: items for instrument_id, items in gaps.items() if items}


def _options_from_settings(
    instrument: Instrument, settings: Mapping[str, object]
) -> dict[str, object]:
    return {
        name: settings[spec.setting]
        for name, spec in instrument.options.items()
        if spec.setting in settings
    }


def score_table(
    frame: pd.DataFrame,
    *,
    value_set: str = "england",
    odi_max_missing: int = 1,
    value_set_3l: str | None = None,
    eq5d_mappings: Sequence[str] = (),
    mapping_country: str = "uk",
    age_column: str = "age",
    sex_column: str = "sex",
) -> pd.DataFrame:
    """Input columns + score columns of every detected instrument + `errors`.

    Settings map to instrument options through their `setting` name (`value_set` → EQ-5D-5L
    value set, `odi_max_missing` → ODI max_missing). EQ-5D-3L answers (`eq5d3l_mo` …) add
    `eq5d3l_index` (`value_set_3l`, default UK); `eq5d_mappings` ("crosswalk", "dsu") add the
    5L → 3L columns of eq5d/columns.py. A bad setting raises ScoringError before any row is
    scored; a bad row only gets a message.
    """
    settings: dict[str, object] = {"value_set": value_set, "odi_max_missing": odi_max_missing}
    n = len(frame)
    duplicated = frame.columns[frame.columns.duplicated()].unique()
    if len(duplicated):
        raise ScoringError(
            f"Column {', '.join(map(str, duplicated))} appears more than once; keep one and "
            "score again.",
            item=str(duplicated[0]),
        )
    added: dict[str, ScoreColumn] = {}
    messages: list[RowMessages] = []
    answered: dict[int, BoolArray] = {}
    for instrument in detect_instruments(frame.columns):
        options = resolve_options(instrument, _options_from_settings(instrument, settings))
        result = evaluate_batch(instrument, frame, options)
        columns_present = {
            part.id: all(instrument.items[i].id in frame.columns for i in part.items)
            for part in instrument.rule.parts
        }
        for message in result.messages:
            if message.part is not None:
                if not columns_present[message.part]:
                    continue
                answered[id(message)] = result.answered_any(message.part)
            messages.append(message)
        items = set(instrument.item_ids)
        for score_id, values in result.score_columns().items():
            if score_id not in items:
                added[score_id] = values

    if eq5d_columns.has_3l_columns(frame.columns):
        added["eq5d3l_index"], more = eq5d_columns.eq5d3l_index_column(frame, value_set_3l)
        messages.extend(more)
    mapped, more = eq5d_columns.mapping_columns(
        frame, eq5d_mappings, country=mapping_country, age_column=age_column, sex_column=sex_column
    )
    added.update(mapped)
    messages.extend(more)

    def keep(message: RowMessages) -> BoolArray:
        if message.part is None or id(message) not in answered:
            return message.mask
        return np.asarray(message.mask & answered[id(message)], dtype=np.bool_)

    added["errors"] = join_messages(n, messages, keep)
    stale = [column for column in added if column in frame.columns]
    # A real copy: a shallow one would be faster, but without pandas copy-on-write an edit of the
    # output would then write into the caller's frame.
    out = frame.drop(columns=stale) if stale else frame.copy()
    for name, column in added.items():
        out[name] = column
    return out
