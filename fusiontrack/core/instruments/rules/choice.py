"""One multiple-choice item kept as its code, plus a yes/no flag for a set of answers.

Used for the global outcome (flag: helped a lot / helped), the NASS satisfaction index (flag:
satisfied = 1 or 2) and work status (flag: working). Which answers raise the flag is data, in the
definition, with its source.
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


class ChoiceRule:
    def __init__(self, ctx: RuleContext) -> None:
        ctx.check_params(("item", "score", "flag", "flag_when"))
        self.index = ctx.item_index("item", ctx.param("item"))
        item = ctx.items[self.index]
        self.score_id, self.flag_id = str(ctx.param("score")), str(ctx.param("flag"))
        ctx.require_scores((self.score_id, self.flag_id))
        when = ctx.param("flag_when")
        values = [option.value for option in item.options]
        if not isinstance(when, list) or not when or any(v not in values for v in when):
            raise ctx.fail("flag_when", f"must list answers of {item.id}: {values}")
        if item.is_coded:
            score = ctx.scores[self.score_id]
            if score.type != "category" or [c.value for c in score.categories] != values:
                raise ctx.fail(
                    "score", f"{self.score_id} must be a category with {item.id}'s codes"
                )
            flagged = [float(values.index(v)) for v in when]
        else:
            flagged = [float(v) for v in when]
        self.flagged = frozenset(flagged)
        self._flagged_array = np.array(sorted(flagged))
        self.parts: tuple[Part, ...] = (Part(self.score_id, (self.index,)),)
        self.unanswered = f"{item.label} ({item.id}) was not answered."

    def prepare_options(self, options: dict[str, object]) -> dict[str, object]:
        return options

    def score_one(self, values: Values, options: Options) -> OneOutcome:
        value = values[self.index]
        if value is None:
            return OneOutcome({}, [(self.score_id, self.unanswered)])
        return OneOutcome(
            {self.score_id: value, self.flag_id: 1.0 if value in self.flagged else 0.0}, []
        )

    def score_many(self, columns: Sequence[FloatArray], options: Options) -> ManyOutcome:
        value = columns[self.index].copy()
        absent = np.isnan(value)
        flag = np.isin(value, self._flagged_array).astype(np.float64)
        flag[absent] = np.nan
        messages = [RowMessages(self.score_id, absent, self.unanswered)] if absent.any() else []
        return ManyOutcome({self.score_id: value, self.flag_id: flag}, messages)
