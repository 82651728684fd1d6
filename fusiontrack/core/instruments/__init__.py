"""Instruments as data: questionnaire definitions, their validation at load, and scoring.

Each instrument is a JSON file in `definitions/` (items, answer options, licence, codes,
citations, scoring rule and the scores it produces), validated when this package is imported and
registered in `INSTRUMENTS`. Scoring:

    score("odi", {"odi_1": 2, ...}, max_missing=1) -> ScoreResult          # one response
    score_batch("odi", frame) -> DataFrame(score columns + "errors")         # a table, vectorised

Adding an instrument: write `definitions/<id>.json`; if no existing rule fits, add a rule module
under `rules/` and register it in `rules.RULES`; add `tests/test_<id>.py` against a cited source.
"""

from __future__ import annotations

from fusiontrack.core.instruments.api import (
    BatchResult,
    ScoreResult,
    evaluate_batch,
    resolve_options,
    score,
    score_batch,
)
from fusiontrack.core.instruments.loader import load_definition, load_definitions, parse_instrument
from fusiontrack.core.instruments.registry import INSTRUMENTS, get_instrument
from fusiontrack.core.instruments.schema import (
    AnswerOption,
    Citation,
    Code,
    Instrument,
    Item,
    Licence,
    OptionDef,
    ScoreDef,
)

__all__ = [
    "INSTRUMENTS",
    "AnswerOption",
    "BatchResult",
    "Citation",
    "Code",
    "Instrument",
    "Item",
    "Licence",
    "OptionDef",
    "ScoreDef",
    "ScoreResult",
    "evaluate_batch",
    "get_instrument",
    "load_definition",
    "load_definitions",
    "parse_instrument",
    "resolve_options",
    "score",
    "score_batch",
]
