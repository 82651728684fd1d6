"""Cohort summary of before/after results: % reaching MCID, SCB, PASS, and % worsened.

Every percentage carries its numerator and denominator. The denominator is the patients who
could be classified for that kind (both scores present, the rule evaluable), not everyone in the
table, so missing follow-ups never count as failures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from fusiontrack.core.errors import ThresholdError
from fusiontrack.core.outcomes.classify import CATEGORIES, COLUMNS, resolved_thresholds
from fusiontrack.core.outcomes.thresholds import get_threshold_set


@dataclass(frozen=True)
class Rate:
    """numerator of denominator (percent); percent is None when nobody could be classified."""

    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.numerator / self.denominator if self.denominator else None

    def __str__(self) -> str:
        pct = "–" if self.percent is None else f"{self.percent:.1f} %"
        return f"{self.numerator}/{self.denominator} ({pct})"


@dataclass(frozen=True)
class OutcomeSummary:
    """One measure's summary. A Rate is None when the threshold set has no rule of that kind."""

    measure: str
    threshold_set: str
    n: int
    n_assessable: int
    mcid: Rate | None
    scb: Rate | None
    pass_: Rate | None
    worsened: Rate | None
    categories: Mapping[str, int]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values; each rate as {numerator, denominator, percent} or None."""
        out: dict[str, object] = {
            "measure": self.measure,
            "threshold_set": self.threshold_set,
            "n": self.n,
            "n_assessable": self.n_assessable,
        }
        for flag in ("mcid", "scb", "pass_", "worsened"):
            rate: Rate | None = getattr(self, flag)
            out[flag] = (
                None
                if rate is None
                else {
                    "numerator": rate.numerator,
                    "denominator": rate.denominator,
                    "percent": rate.percent,
                }
            )
        out["categories"] = dict(self.categories)
        return out


def summarise(results: pd.DataFrame) -> dict[str, OutcomeSummary]:
    """Summarise a `classify_change_batch` frame (or several concatenated) per measure."""
    missing = [c for c in COLUMNS if c not in results.columns]
    if missing:
        raise ThresholdError(
            f"not a classification table: columns {', '.join(missing)} are missing; "
            "pass the output of classify_change_batch"
        )
    out: dict[str, OutcomeSummary] = {}
    for (measure, set_id), group in results.groupby(["measure", "threshold_set"], sort=False):
        rules = resolved_thresholds(get_threshold_set(str(set_id)), str(measure))
        rates: dict[str, Rate | None] = {}
        for flag, kind in (
            ("mcid", "mcid"),
            ("scb", "scb"),
            ("pass_", "pass"),
            ("worsened", "deterioration"),
        ):
            values = group[flag].astype("boolean")
            defined = values.notna()
            # Without a deterioration rule, `worsened` falls back on the MCID (classify.py),
            # so its rate exists whenever an MCID does.
            has_rule = bool(rules[kind]) or (flag == "worsened" and bool(rules["mcid"]))
            rates[flag] = Rate(int(values[defined].sum()), int(defined.sum())) if has_rule else None
        counts = group["category"].value_counts()
        out[str(measure)] = OutcomeSummary(
            measure=str(measure),
            threshold_set=str(set_id),
            n=len(group),
            n_assessable=int((group["category"] != "not_assessable").sum()),
            mcid=rates["mcid"],
            scb=rates["scb"],
            pass_=rates["pass_"],
            worsened=rates["worsened"],
            categories=MappingProxyType({c: int(counts.get(c, 0)) for c in CATEGORIES}),
        )
    return out
