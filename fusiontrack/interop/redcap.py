"""REDCap-style CSV: one row per record and event, several instruments per row, and a mapping
file (JSON) that says which column is what.

    {
      "mrn": "record_id",
      "timepoint": {"column": "redcap_event_name",
                    "values": {"baseline_arm_1": "baseline", "month_12_arm_1": "12m"}},
      "instruments": {
        "odi": {"date": "odi_date", "items": {"odi_1": "oswestry_1", "...": "..."}},
        "nrs": {"date": "pain_date", "items": {"nrs_back": "back_pain", "nrs_leg": "leg_pain"},
                "values": {"nrs_back": {"99": ""}}}
      },
      "entry_mode": "staff"
    }

A row gives one response per instrument with at least one answered item. Dates are ISO
(YYYY-MM-DD, REDCap's export format). ``values`` recodes raw answers per item ("" = unanswered).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fusiontrack.core import vocab
from fusiontrack.core.instruments import INSTRUMENTS
from fusiontrack.interop.responses import ResponseRow
from fusiontrack.interop.sources import ImportFileError

Timepoint = Literal[tuple(vocab.codes(vocab.TIMEPOINTS))]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimepointMap(Strict):
    column: str
    values: dict[str, Timepoint]


class InstrumentMap(Strict):
    date: str
    items: dict[str, str] = Field(min_length=1)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)


class Mapping(Strict):
    mrn: str
    timepoint: TimepointMap | None = None
    instruments: dict[str, InstrumentMap] = Field(min_length=1)
    entry_mode: Literal[tuple(vocab.codes(vocab.ENTRY_MODES))] = "staff"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _known(self) -> Mapping:
        for instrument_id, spec in self.instruments.items():
            if instrument_id not in INSTRUMENTS:
                raise ValueError(
                    f"instrument {instrument_id!r} is unknown; use one of {', '.join(INSTRUMENTS)}"
                )
            extra = sorted(set(spec.items) - set(INSTRUMENTS[instrument_id].item_ids))
            if extra:
                raise ValueError(f"{instrument_id} has no item {', '.join(extra)}")
        return self


def load_mapping(path: Path) -> Mapping:
    try:
        return Mapping.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such mapping file.") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ImportFileError(f"{path.name}: {where}: {first['msg']}.") from None


def read_rows(path: Path, mapping: Mapping) -> tuple[list[ResponseRow], list[tuple[str, str]]]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ImportFileError(f"{path.name} is not a readable CSV file ({e}).") from None
    needed = {mapping.mrn, *(s.date for s in mapping.instruments.values())}
    needed |= {c for s in mapping.instruments.values() for c in s.items.values()}
    if mapping.timepoint is not None:
        needed.add(mapping.timepoint.column)
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise ImportFileError(f"{path.name} lacks the mapped columns {', '.join(missing)}.")
    rows: list[ResponseRow] = []
    errors: list[tuple[str, str]] = []
    records = frame.to_dict("records")
    for number, record in enumerate(records, start=2):  # line 1 is the header
        where = f"row {number}"
        timepoint = None
        if mapping.timepoint is not None:
            raw = record[mapping.timepoint.column]
            timepoint = mapping.timepoint.values.get(raw)
            if timepoint is None:
                errors.append((where, f"event {raw!r} is not in the mapping's timepoint values."))
                continue
        for instrument_id, spec in mapping.instruments.items():
            answers = _answers(record, spec)
            if not answers:
                continue
            try:
                authored = dt.date.fromisoformat(record[spec.date].strip())
            except ValueError:
                errors.append(
                    (where, f"{spec.date} {record[spec.date]!r} is not a YYYY-MM-DD date.")
                )
                continue
            rows.append(
                ResponseRow(
                    where=f"{where} ({instrument_id})",
                    patient=("mrn", record[mapping.mrn].strip()),
                    instrument_id=instrument_id,
                    authored=authored,
                    timepoint=timepoint,
                    care_plan_id=None,
                    answers=answers,
                    entry_mode=mapping.entry_mode,
                )
            )
    return rows, errors


def _answers(record: dict[str, Any], spec: InstrumentMap) -> dict[str, Any]:
    out = {}
    for item_id, column in spec.items.items():
        value = record[column].strip()
        value = spec.values.get(item_id, {}).get(value, value)
        if value != "":
            out[item_id] = value
    return out


def dumps_example() -> str:  # pragma: no cover - documentation helper
    return json.dumps(Mapping.model_json_schema(), indent=2)
