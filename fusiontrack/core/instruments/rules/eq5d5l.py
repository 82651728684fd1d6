"""EQ-5D-5L: the index for a chosen value set (needs all five dimensions) and the EQ VAS.

The index itself is `fusiontrack.core.eq5d` (value-set engine, vendored coefficients); this rule
only gathers the five levels, checks completeness and keeps the VAS as a separate part, so a
missing VAS does not discard the index, nor the reverse.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fusiontrack.core import eq5d
from fusiontrack.core.instruments.answers import FloatArray
from fusiontrack.core.instruments.rules.base import (
    ManyOutcome,
    OneOutcome,
    Options,
    Part,
    RowMessages,
    RuleContext,
    Values,
    missing_matrix,
    pattern_messages,
    words,
)

SCORES = ("eq5d5l_index", "eq5d_vas")


class Eq5d5lRule:
    def __init__(self, ctx: RuleContext) -> None:
        ctx.check_params(("dimensions", "vas_item"))
        ctx.require_scores(SCORES)
        self.dimensions = ctx.item_indexes("dimensions", 5)
        self.vas = ctx.item_index("vas_item", ctx.param("vas_item"))
        self.parts: tuple[Part, ...] = (
            Part("eq5d5l_index", self.dimensions),
            Part("eq5d_vas", (self.vas,)),
        )
        self.names = [ctx.items[i].label for i in self.dimensions]
        vas = ctx.items[self.vas]
        self.vas_unanswered = f"{vas.label} ({vas.id}) was not answered."

    def prepare_options(self, options: dict[str, object]) -> dict[str, object]:
        value_set = options.get("value_set")
        if value_set is None:
            value_set = eq5d.DEFAULT_VALUE_SET_5L
        if not isinstance(value_set, str):
            value_set = str(value_set)
        eq5d.index_5l_one(1, 1, 1, 1, 1, value_set)  # raises ScoringError for an unknown set
        return {**options, "value_set": value_set}

    def _incomplete(self, missing: tuple[int, ...]) -> str:
        if len(missing) == len(self.dimensions):
            return "EQ-5D-5L descriptive system was not answered (all five dimensions blank)."
        one = len(missing) == 1
        return (
            f"EQ-5D-5L {words([self.names[m] for m in missing])} {'is' if one else 'are'} "
            "missing; the index needs all five dimensions. "
            f"Answer {'it' if one else 'them'} or mark the response incomplete."
        )

    def score_one(self, values: Values, options: Options) -> OneOutcome:
        scores: dict[str, float] = {}
        messages: list[tuple[str, str]] = []
        levels = [values[i] for i in self.dimensions]
        missing = tuple(p for p, v in enumerate(levels) if v is None)
        if missing:
            messages.append(("eq5d5l_index", self._incomplete(missing)))
        else:
            mo, sc, ua, pd, ad = (int(v) for v in levels)  # type: ignore[arg-type]
            scores["eq5d5l_index"] = eq5d.index_5l_one(
                mo, sc, ua, pd, ad, str(options["value_set"])
            )
        vas = values[self.vas]
        if vas is None:
            messages.append(("eq5d_vas", self.vas_unanswered))
        else:
            scores["eq5d_vas"] = vas
        return OneOutcome(scores, messages)

    def score_many(self, columns: Sequence[FloatArray], options: Options) -> ManyOutcome:
        missing = missing_matrix(columns, self.dimensions)
        incomplete = np.logical_or.reduce(missing)
        complete = np.flatnonzero(~incomplete)
        index = np.full(incomplete.shape[0], np.nan)
        value_set = str(options["value_set"])
        if complete.size == index.size:  # the usual case: no gather, no scatter
            mo, sc, ua, pd, ad = (columns[i].astype(np.int8) for i in self.dimensions)
            index = eq5d.index_5l(mo, sc, ua, pd, ad, value_set)
        elif complete.size:
            mo, sc, ua, pd, ad = (columns[i][complete].astype(np.int8) for i in self.dimensions)
            index[complete] = eq5d.index_5l(mo, sc, ua, pd, ad, value_set)
        messages: list[RowMessages] = []
        if incomplete.any():
            text = pattern_messages(missing, incomplete, self._incomplete)
            messages.append(RowMessages("eq5d5l_index", incomplete, text))
        vas = columns[self.vas].copy()
        absent = np.isnan(vas)
        if absent.any():
            messages.append(RowMessages("eq5d_vas", absent, self.vas_unanswered))
        return ManyOutcome({"eq5d5l_index": index, "eq5d_vas": vas}, messages)
