"""Core Outcome Measures Index, back version: five domains on 0–10, averaged.

Pain = max(back pain, leg pain); function, symptom-specific well-being and general quality of life
are single items scored 0/2.5/5/7.5/10; disability = mean(social, work disability); COMI = mean of
the five domains, 0–10, higher is worse (Mannion et al. 2009 Eur Spine J 18 Suppl 3; awell-score
`comi_back`; raylytic COMI page — CORROBORATED in shared/notes/verified-facts.md §7).

Missing items: SOURCE MISSING — no published missing-item rule was found, so every item is
required. (A missing leg-pain item would make max(back, leg) an underestimate.)

Rounding: COMI is a multiple of 0.05, so rounding to 2 decimals only removes binary noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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
    round_many,
    round_one,
    words,
)

SCORES = ("comi", "comi_pain", "comi_function", "comi_wellbeing", "comi_qol", "comi_disability")


class ComiRule:
    def __init__(self, ctx: RuleContext) -> None:
        ctx.check_params(
            ("pain_items", "function_item", "wellbeing_item", "qol_item", "disability_items")
        )
        ctx.require_scores(SCORES)
        self.back, self.leg = ctx.item_indexes("pain_items", 2)
        self.function = ctx.item_index("function_item", ctx.param("function_item"))
        self.wellbeing = ctx.item_index("wellbeing_item", ctx.param("wellbeing_item"))
        self.qol = ctx.item_index("qol_item", ctx.param("qol_item"))
        self.social, self.work = ctx.item_indexes("disability_items", 2)
        self.order = (
            self.back,
            self.leg,
            self.function,
            self.wellbeing,
            self.qol,
            self.social,
            self.work,
        )
        self.parts: tuple[Part, ...] = (Part("comi", self.order),)
        self.names = [f"{ctx.items[i].label} ({ctx.items[i].id})" for i in self.order]

    def prepare_options(self, options: dict[str, object]) -> dict[str, object]:
        return options

    def _incomplete(self, missing: tuple[int, ...]) -> str:
        if len(missing) == len(self.order):
            return "COMI was not answered: all 7 items are blank."
        one = len(missing) == 1
        return (
            f"{words([self.names[m] for m in missing])} {'is' if one else 'are'} missing; "
            "the COMI needs all 7 items (no missing-item rule is published). "
            f"Answer {'it' if one else 'them'} or mark the response incomplete."
        )

    def score_one(self, values: Values, options: Options) -> OneOutcome:
        got = [values[i] for i in self.order]
        missing = tuple(p for p, v in enumerate(got) if v is None)
        if missing:
            return OneOutcome({}, [("comi", self._incomplete(missing))])
        back, leg, function, wellbeing, qol, social, work = (float(v) for v in got)  # type: ignore[arg-type]
        pain = max(back, leg)
        disability = (social + work) / 2.0
        total = pain + function + wellbeing + qol + disability
        return OneOutcome(
            {
                "comi": round_one(total / 5.0, 2),
                "comi_pain": pain,
                "comi_function": function,
                "comi_wellbeing": wellbeing,
                "comi_qol": qol,
                "comi_disability": disability,
            },
            [],
        )

    def score_many(self, columns: Sequence[FloatArray], options: Options) -> ManyOutcome:
        back, leg, function, wellbeing, qol, social, work = (columns[i] for i in self.order)
        missing = missing_matrix(columns, self.order)
        incomplete = np.logical_or.reduce(missing)
        pain = np.maximum(back, leg)
        disability = (social + work) / 2.0
        total = pain + function + wellbeing + qol + disability
        comi = round_many(total / 5.0, 2)
        scores = {
            "comi": comi,
            "comi_pain": pain,
            "comi_function": function.copy(),
            "comi_wellbeing": wellbeing.copy(),
            "comi_qol": qol.copy(),
            "comi_disability": disability,
        }
        for values in scores.values():
            values[incomplete] = np.nan
        messages = []
        if incomplete.any():
            messages.append(
                RowMessages(
                    "comi", incomplete, pattern_messages(missing, incomplete, self._incomplete)
                )
            )
        return ManyOutcome(scores, messages)
