"""Before/after classification of outcome scores against published thresholds (issue 2 §4).

Used by `fusiontrack compare`, the web before/after panel, patient pages and cohort analytics:

    >>> r = classify_change("odi", 46, 18)
    >>> r.improvement, round(r.percent_change, 1), r.mcid, r.scb, r.pass_, r.category
    (28.0, 60.9, True, True, True, 'substantial_benefit')

Thresholds are data (`core/data/thresholds.json`) with citations and evidence status; the
default set and its reason are documented there and in `thresholds.py`.
"""

from __future__ import annotations

from fusiontrack.core.outcomes.classify import (
    CATEGORIES,
    COLUMNS,
    Category,
    ChangeResult,
    classify_change,
    classify_change_batch,
)
from fusiontrack.core.outcomes.describe import describe, explain_thresholds
from fusiontrack.core.outcomes.summary import OutcomeSummary, Rate, summarise
from fusiontrack.core.outcomes.thresholds import (
    DEFAULT_THRESHOLD_SET,
    EVIDENCE_LEVELS,
    KIND_LABELS,
    KINDS,
    MEASURES,
    THRESHOLD_SETS,
    Citation,
    Measure,
    Threshold,
    ThresholdSet,
    load_threshold_data,
)

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "DEFAULT_THRESHOLD_SET",
    "EVIDENCE_LEVELS",
    "KINDS",
    "KIND_LABELS",
    "MEASURES",
    "THRESHOLD_SETS",
    "Category",
    "ChangeResult",
    "Citation",
    "Measure",
    "OutcomeSummary",
    "Rate",
    "Threshold",
    "ThresholdSet",
    "classify_change",
    "classify_change_batch",
    "describe",
    "explain_thresholds",
    "load_threshold_data",
    "summarise",
]
