"""Reading import files: a FHIR Bundle (JSON), NDJSON, or a REDCap-style CSV with a mapping.

Every record keeps where it came from (``entry 3``, ``line 12``, ``row 5``) so errors point at it.
A malformed file is an ImportFileError (one message, nothing imported); a bad record is a row
error reported with the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Larger files must be split (memory: a Bundle is parsed whole). NDJSON and CSV stream.
MAX_BUNDLE_BYTES = 512 * 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass
class FhirRecords:
    """Resources of a Bundle or NDJSON file, split by type, each with its location."""

    patients: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Bundle-local references (fullUrl, Type/id) -> the Patient resource they name.
    local_refs: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def detect_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".ndjson", ".jsonl"}:
        return "ndjson"
    if suffix == ".json":
        return "bundle"
    raise ImportFileError(
        f"{path.name}: unknown file type {suffix or '(none)'}; use .json (a FHIR Bundle), "
        ".ndjson (one FHIR resource per line) or .csv (with --mapping)."
    )


def _add(records: FhirRecords, where: str, resource: Any, full_url: str | None = None) -> None:
    if not isinstance(resource, dict):
        records.errors.append((where, "not a FHIR resource (a JSON object with resourceType)."))
        return
    kind = resource.get("resourceType")
    if kind == "Patient":
        records.patients.append((where, resource))
        if full_url:
            records.local_refs[full_url] = resource
        if isinstance(resource.get("id"), str):
            records.local_refs[f"Patient/{resource['id']}"] = resource
    elif kind == "QuestionnaireResponse":
        records.responses.append((where, resource))
    else:
        records.errors.append(
            (where, f"{kind!r} is not imported; only Patient and QuestionnaireResponse.")
        )


def read_bundle(path: Path) -> FhirRecords:
    if path.stat().st_size > MAX_BUNDLE_BYTES:
        raise ImportFileError(f"{path.name} is larger than 512 MiB; export it as NDJSON instead.")
    try:
        data = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"{path.name} is not valid JSON: {exc}.") from None
    except RecursionError:
        raise ImportFileError(f"{path.name} is nested too deeply to be a FHIR Bundle.") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise ImportFileError(f"{path.name} is not a FHIR Bundle (resourceType Bundle).")
    if data.get("type") not in {"collection", "transaction", "batch", "searchset", "message"}:
        raise ImportFileError(f"{path.name}: Bundle type {data.get('type')!r} is not imported.")
    records = FhirRecords()
    for index, entry in enumerate(data.get("entry") or []):
        where = f"entry {index}"
        if not isinstance(entry, dict):
            records.errors.append((where, "a Bundle entry must be an object."))
            continue
        _add(records, where, entry.get("resource"), entry.get("fullUrl"))
    return records


def read_ndjson(path: Path) -> FhirRecords:
    records = FhirRecords()
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    resource = json.loads(line)
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    records.errors.append((f"line {number}", f"not valid JSON: {exc}."))
                    continue
                except RecursionError:
                    records.errors.append((f"line {number}", "nested too deeply."))
                    continue
                _add(records, f"line {number}", resource)
    except OSError as exc:
        raise ImportFileError(f"{path}: {exc.strerror or exc}.") from None
    return records
