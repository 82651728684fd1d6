"""Outcome measures and their before/after thresholds, loaded from data.

Thresholds are clinical facts with sources, so they live in `core/data/thresholds.json` next to
their citation and evidence status (from shared/notes/verified-facts.md), never in code. The
file is validated at import: a malformed threshold stops start-up with a `DefinitionError`
instead of silently classifying patients with a wrong number.

Rules (all measured in the direction of the kind, so thresholds are positive numbers):

* ``absolute_change``: improvement (deterioration: worsening) in score points, e.g. ≥ 10;
* ``percent_change``: improvement relative to the baseline, in %, e.g. ≥ 30;
* ``final_score``: the follow-up score itself, e.g. ODI < 31.3 (Glassman 2008, strict).

Several thresholds of one kind for one measure combine with "any": Glassman's SCB is reached by
18.8 points OR 36.8 % OR a final ODI below 31.3.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, cast

from fusiontrack.core.errors import DefinitionError, ThresholdError

Direction = Literal["lower_is_better", "higher_is_better"]
Kind = Literal["mcid", "scb", "pass", "deterioration"]
Rule = Literal["absolute_change", "percent_change", "final_score"]
Operator = Literal[">=", ">", "<=", "<"]
Evidence = Literal["CONFIRMED", "CORROBORATED", "SRC-partial", "UNRESOLVED"]

KINDS: tuple[Kind, ...] = ("mcid", "scb", "pass", "deterioration")
RULES: tuple[Rule, ...] = ("absolute_change", "percent_change", "final_score")
OPERATORS: tuple[Operator, ...] = (">=", ">", "<=", "<")
EVIDENCE_LEVELS: tuple[Evidence, ...] = ("CONFIRMED", "CORROBORATED", "SRC-partial", "UNRESOLVED")
#: Evidence levels whose value was seen in at least one source; the others are flagged.
VERIFIED_EVIDENCE: frozenset[str] = frozenset({"CONFIRMED", "CORROBORATED"})

KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "mcid": "minimal clinically important change (MCID)",
        "scb": "substantial clinical benefit (SCB)",
        "pass": "patient acceptable symptom state (PASS)",
        "deterioration": "clinically important worsening",
    }
)
DEFAULT_THRESHOLD_SET = "default"
_DATA_FILE = "thresholds.json"


def format_number(value: float, unit: str = "") -> str:
    """Numbers as people write them: 10 not 10.0, at most two decimals, then the unit."""
    text = f"{value:.10g}" if float(value).is_integer() else f"{round(value, 2):g}"
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True)
class Measure:
    """A scored outcome measure: its id (the scoring column), range and better direction."""

    id: str
    label: str
    short: str
    unit: str
    min: float | None
    max: float | None
    direction: Direction
    note: str = ""

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "lower_is_better"

    def format_value(self, value: float, *, with_unit: bool = True) -> str:
        """A score or change for people: '10 points', '0.1', '18.8 points'."""
        return format_number(value, self.unit if with_unit else "")


@dataclass(frozen=True)
class Citation:
    """Where a threshold comes from; `short` is what the UI prints after a number."""

    key: str
    authors: str
    first_author: str
    year: int
    title: str | None
    journal: str
    issue: str
    doi: str | None = None
    pmid: str | None = None
    note: str = ""

    @property
    def short(self) -> str:
        return f"{self.first_author} {self.year}"

    def full(self) -> str:
        title = f" {self.title}." if self.title else ""
        ids = "".join(
            f" {label}:{value}"
            for label, value in (("doi", self.doi), ("PMID", self.pmid))
            if value
        )
        return f"{self.authors}.{title} {self.journal} {self.issue}.{ids}"


@dataclass(frozen=True)
class Threshold:
    """One published cut-off: measure, kind, rule, value, population, method, source, evidence."""

    id: str
    measure: str
    kind: Kind
    rule: Rule
    operator: Operator
    value: float
    population: str
    method: str
    citation: Citation
    evidence: Evidence
    evidence_note: str = ""
    unit: str = ""

    @property
    def verified(self) -> bool:
        """False for SRC-partial / UNRESOLVED values: show a flag, check the paper before use."""
        return self.evidence in VERIFIED_EVIDENCE

    def criterion(self) -> str:
        """The rule in symbols, e.g. 'improvement ≥ 10 points' or 'follow-up score < 31.3'."""
        symbol = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}[self.operator]
        change = "worsening" if self.kind == "deterioration" else "improvement"
        if self.rule == "absolute_change":
            return f"{change} {symbol} {format_number(self.value, self.unit)}"
        if self.rule == "percent_change":
            return f"{change} {symbol} {format_number(self.value)} % of the baseline score"
        return f"follow-up score {symbol} {format_number(self.value)}"

    def summary(self) -> str:
        """One line for listings: 'odi mcid: improvement ≥ 10 points (Ostelo 2008) [CONFIRMED]'."""
        source = f"({self.citation.short}) [{self.evidence}]"
        return f"{self.measure} {self.kind}: {self.criterion()} {source}"


@dataclass(frozen=True)
class ThresholdSet:
    """A named, selectable group of thresholds (e.g. 'ostelo2008', 'default')."""

    id: str
    label: str
    description: str
    reason: str
    thresholds: tuple[Threshold, ...]

    def rules(self, measure: str, kind: Kind) -> tuple[Threshold, ...]:
        """The thresholds of one kind for one measure (combined with 'any'); () when none."""
        return tuple(t for t in self.thresholds if t.measure == measure and t.kind == kind)

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.measure for t in self.thresholds))


# --- loading and validation ---------------------------------------------------------------------


def _require(entry: Mapping[str, Any], field: str, where: str) -> Any:
    if field not in entry or entry[field] in (None, ""):
        raise DefinitionError(f"{where}: field {field!r} is missing; add it to {_DATA_FILE}")
    return entry[field]


def _choice(value: Any, allowed: tuple[str, ...], field: str, where: str) -> Any:
    if value not in allowed:
        raise DefinitionError(
            f"{where}: {field} {value!r} is not one of {', '.join(allowed)}; fix {_DATA_FILE}"
        )
    return value


def _number(value: Any, field: str, where: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DefinitionError(f"{where}: {field} must be a finite number, got {value!r}")
    return float(value)


def _measures(entries: list[Mapping[str, Any]]) -> dict[str, Measure]:
    out: dict[str, Measure] = {}
    for entry in entries:
        mid = str(_require(entry, "id", "a measure"))
        where = f"measure {mid!r}"
        if mid in out:
            raise DefinitionError(f"{where} is defined twice in {_DATA_FILE}")
        low = _number(entry.get("min"), "min", where, optional=True)
        high = _number(entry.get("max"), "max", where, optional=True)
        if low is not None and high is not None and low >= high:
            raise DefinitionError(f"{where}: min {low:g} must be below max {high:g}")
        out[mid] = Measure(
            id=mid,
            label=str(_require(entry, "label", where)),
            short=str(entry.get("short") or mid),
            unit=str(entry.get("unit", "")),
            min=low,
            max=high,
            direction=_choice(
                entry.get("direction"), ("lower_is_better", "higher_is_better"), "direction", where
            ),
            note=str(entry.get("note", "")),
        )
    return out


def _citations(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, Citation]:
    out: dict[str, Citation] = {}
    for key, entry in entries.items():
        where = f"citation {key!r}"
        year = _require(entry, "year", where)
        if not isinstance(year, int) or isinstance(year, bool):
            raise DefinitionError(f"{where}: year must be an integer, got {year!r}")
        out[key] = Citation(
            key=key,
            authors=str(_require(entry, "authors", where)),
            first_author=str(_require(entry, "first_author", where)),
            year=year,
            title=entry.get("title"),
            journal=str(_require(entry, "journal", where)),
            issue=str(_require(entry, "issue", where)),
            doi=entry.get("doi"),
            pmid=entry.get("pmid"),
            note=str(entry.get("note", "")),
        )
    return out


def _threshold(
    tid: str,
    entry: Mapping[str, Any],
    measures: Mapping[str, Measure],
    citations: Mapping[str, Citation],
) -> Threshold:
    where = f"threshold {tid!r}"
    measure = _require(entry, "measure", where)
    if measure not in measures:
        raise DefinitionError(f"{where}: unknown measure {measure!r}; known: {', '.join(measures)}")
    kind = _choice(entry.get("kind"), KINDS, "kind", where)
    rule = _choice(entry.get("rule"), RULES, "rule", where)
    operator = _choice(entry.get("operator"), OPERATORS, "operator", where)
    value = cast(float, _number(entry.get("value"), "value", where))
    if rule == "final_score":
        if kind in ("mcid", "deterioration"):
            raise DefinitionError(
                f"{where}: a {kind} threshold must be a change, not a final score"
            )
    elif kind == "pass":
        raise DefinitionError(f"{where}: a PASS threshold is a final score (rule final_score)")
    elif operator not in (">=", ">") or value <= 0:
        raise DefinitionError(
            f"{where}: change rules are measured in the direction of the kind; "
            "use operator '>=' or '>' with a positive value"
        )
    citation_key = _require(entry, "citation", where)
    if citation_key not in citations:
        raise DefinitionError(f"{where}: citation {citation_key!r} is not in 'citations'")
    return Threshold(
        id=tid,
        measure=measure,
        kind=kind,
        rule=rule,
        operator=operator,
        value=value,
        population=str(_require(entry, "population", where)),
        method=str(_require(entry, "method", where)),
        citation=citations[citation_key],
        evidence=_choice(entry.get("evidence"), EVIDENCE_LEVELS, "evidence", where),
        evidence_note=str(entry.get("evidence_note", "")),
        unit=measures[measure].unit,
    )


def load_threshold_data(
    data: Mapping[str, Any],
) -> tuple[Mapping[str, Measure], Mapping[str, ThresholdSet]]:
    """Validate a thresholds document (the shape of `core/data/thresholds.json`).

    Sites may pass their own document; every threshold still needs a citation and an evidence
    status, and the 'default' set must exist.
    """
    measures = _measures(list(data.get("measures", [])))
    citations = _citations(data.get("citations", {}))
    thresholds = {
        tid: _threshold(tid, entry, measures, citations)
        for tid, entry in data.get("thresholds", {}).items()
    }
    sets: dict[str, ThresholdSet] = {}
    for sid, entry in data.get("sets", {}).items():
        where = f"threshold set {sid!r}"
        members = []
        for tid in _require(entry, "thresholds", where):
            if tid not in thresholds:
                raise DefinitionError(f"{where}: unknown threshold {tid!r}")
            members.append(thresholds[tid])
        sets[sid] = ThresholdSet(
            id=sid,
            label=str(_require(entry, "label", where)),
            description=str(entry.get("description", "")),
            reason=str(_require(entry, "reason", where)),
            thresholds=tuple(members),
        )
    if DEFAULT_THRESHOLD_SET not in sets:
        raise DefinitionError(
            f"{_DATA_FILE}: the {DEFAULT_THRESHOLD_SET!r} threshold set is missing"
        )
    return MappingProxyType(measures), MappingProxyType(sets)


def _load_bundled() -> tuple[Mapping[str, Measure], Mapping[str, ThresholdSet]]:
    text = resources.files("fusiontrack.core").joinpath("data", _DATA_FILE).read_text("utf-8")
    return load_threshold_data(json.loads(text))


MEASURES, THRESHOLD_SETS = _load_bundled()
"""`MEASURES`: id → Measure. `THRESHOLD_SETS`: id → ThresholdSet. The default set picks, per
measure and kind: MCID Ostelo 2008 for ODI and pain NRS (CONFIRMED, most widely used, 30 % rule
adjusts for baseline), Parai 2020 for the EQ-5D index, Mannion 2009 for COMI (improvement and
deterioration), SCB Glassman 2008 (lumbar arthrodesis), PASS van Hooff 2016 (value UNRESOLVED,
flagged). The full reason is stored with the set (`THRESHOLD_SETS['default'].reason`)."""


def get_measure(measure: str) -> Measure:
    try:
        return MEASURES[measure]
    except KeyError:
        raise ThresholdError(
            f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}"
        ) from None


def get_threshold_set(threshold_set: str | ThresholdSet) -> ThresholdSet:
    if isinstance(threshold_set, ThresholdSet):
        return threshold_set
    try:
        return THRESHOLD_SETS[threshold_set]
    except KeyError:
        raise ThresholdError(
            f"unknown threshold set {threshold_set!r}; choose one of {', '.join(THRESHOLD_SETS)}"
        ) from None
