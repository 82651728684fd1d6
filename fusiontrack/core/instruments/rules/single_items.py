"""Scores that are one item's answer as given (e.g. back-pain and leg-pain NRS 0–10).

Each score is its own part: a patient who rates back pain but skips leg pain still gets a back
pain score; the missing one is reported.
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
)


class SingleItemsRule:
    def __init__(self, ctx: RuleContext) -> None:
        ctx.check_params(("scores",))
        mapping = ctx.param("scores")
        if not isinstance(mapping, dict) or not mapping:
            raise ctx.fail("scores", "must map score ids to item ids")
        ctx.require_scores(list(mapping))
        self.pairs = tuple(
            (score_id, ctx.item_index(f"scores.{score_id}", item_id))
            for score_id, item_id in mapping.items()
        )
        self.parts = tuple(Part(score_id, (index,)) for score_id, index in self.pairs)
        self.unanswered = {
            score_id: f"{ctx.items[index].label} ({ctx.items[index].id}) was not answered."
            for score_id, index in self.pairs
        }

    def prepare_options(self, options: dict[str, object]) -> dict[str, object]:
        return options

    def score_one(self, values: Values, options: Options) -> OneOutcome:
        scores: dict[str, float] = {}
        messages: list[tuple[str, str]] = []
        for score_id, index in self.pairs:
            value = values[index]
            if value is None:
                messages.append((score_id, self.unanswered[score_id]))
            else:
                scores[score_id] = value
        return OneOutcome(scores, messages)

    def score_many(self, columns: Sequence[FloatArray], options: Options) -> ManyOutcome:
        scores: dict[str, FloatArray] = {}
        messages: list[RowMessages] = []
        for score_id, index in self.pairs:
            column = columns[index]
            scores[score_id] = column.copy()
            absent = np.isnan(column)
            if absent.any():
                messages.append(RowMessages(score_id, absent, self.unanswered[score_id]))
        return ManyOutcome(scores, messages)
