"""PROMIS-29: seven domain T-scores (with SE) from four-item raw sums, plus the 0–10 pain item.

Items arrive as their *scored* value 1–5 (reverse-keyed items already reversed, as printed on the
form: see the definition file). Raw sum → T-score and SE via `fusiontrack.core.promis` (Table A).

Missing items: each domain needs all four items. HealthMeasures' scoring instructions say a
precise score needs at least 4 answered items in measures of 4 or more items, and point to
response-pattern scoring (their Scoring Service) otherwise [SRC: healthmeasures.net "Scoring
Instructions"]. The prorating rule often quoted for short forms (≥ 50 % answered, raw × 4 /
answered, rounded up) is UNVERIFIED — the scoring manual was not retrieved — so it is not applied.
Each domain is a separate part: an unanswered domain does not discard the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fusiontrack.core import promis
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


@dataclass(frozen=True)
class _Domain:
    id: str
    label: str
    table: promis.TScoreTable
    items: tuple[int, ...]
    item_ids: tuple[str, ...]
    t_score: str
    se_score: str

    def incomplete(self, missing: tuple[int, ...]) -> str:
        if len(missing) == len(self.items):
            return f"PROMIS-29 {self.label} was not answered."
        one = len(missing) == 1
        return (
            f"PROMIS-29 {self.label}: {words([self.item_ids[m] for m in missing])} "
            f"{'is' if one else 'are'} missing; a T-score needs all 4 items (HealthMeasures "
            f"scoring instructions). Answer {'it' if one else 'them'}, or score the response "
            "pattern with the HealthMeasures Scoring Service."
        )


class Promis29Rule:
    def __init__(self, ctx: RuleContext) -> None:
        ctx.check_params(("domains", "pain_intensity"))
        raw_domains = ctx.param("domains")
        if not isinstance(raw_domains, list) or len(raw_domains) != len(promis.DOMAINS):
            raise ctx.fail("domains", f"must list the {len(promis.DOMAINS)} PROMIS-29 domains")
        domains = []
        produced = []
        for i, raw in enumerate(raw_domains):
            key = f"domains[{i}]"
            if not isinstance(raw, dict) or set(raw) != {"id", "label", "table", "items", "scores"}:
                raise ctx.fail(key, "needs exactly id, label, table, items, scores")
            if raw["table"] not in promis.TABLES:
                raise ctx.fail(f"{key}.table", f"unknown table {raw['table']!r}")
            scores = raw["scores"]
            if not isinstance(scores, list) or len(scores) != 2:
                raise ctx.fail(f"{key}.scores", "must be [T-score id, SE id]")
            items = raw["items"]
            if not isinstance(items, list) or len(items) != 4:
                raise ctx.fail(f"{key}.items", "must list 4 item ids")
            indexes = tuple(ctx.item_index(f"{key}.items", item_id) for item_id in items)
            domains.append(
                _Domain(
                    id=str(raw["id"]),
                    label=str(raw["label"]),
                    table=promis.TABLES[str(raw["table"])],
                    items=indexes,
                    item_ids=tuple(ctx.items[j].id for j in indexes),
                    t_score=str(scores[0]),
                    se_score=str(scores[1]),
                )
            )
            produced += [str(s) for s in scores]
        pain = ctx.param("pain_intensity")
        if not isinstance(pain, dict) or set(pain) != {"item", "score"}:
            raise ctx.fail("pain_intensity", "needs exactly item and score")
        self.pain_index = ctx.item_index("pain_intensity.item", pain["item"])
        self.pain_score = str(pain["score"])
        ctx.require_scores([*produced, self.pain_score])
        self.domains = tuple(domains)
        self.parts = (
            *(Part(d.id, d.items) for d in self.domains),
            Part(self.pain_score, (self.pain_index,)),
        )
        pain_item = ctx.items[self.pain_index]
        self.pain_unanswered = f"{pain_item.label} ({pain_item.id}) was not answered."

    def prepare_options(self, options: dict[str, object]) -> dict[str, object]:
        return options

    def score_one(self, values: Values, options: Options) -> OneOutcome:
        scores: dict[str, float] = {}
        messages: list[tuple[str, str]] = []
        for domain in self.domains:
            got = [values[i] for i in domain.items]
            missing = tuple(p for p, v in enumerate(got) if v is None)
            if missing:
                messages.append((domain.id, domain.incomplete(missing)))
                continue
            raw_sum = 0.0
            for value in got:
                raw_sum += value  # type: ignore[operator]
            t_score, se = domain.table.lookup(int(raw_sum))
            scores[domain.t_score] = t_score
            scores[domain.se_score] = se
        pain = values[self.pain_index]
        if pain is None:
            messages.append((self.pain_score, self.pain_unanswered))
        else:
            scores[self.pain_score] = pain
        return OneOutcome(scores, messages)

    def score_many(self, columns: Sequence[FloatArray], options: Options) -> ManyOutcome:
        scores: dict[str, FloatArray] = {}
        messages: list[RowMessages] = []
        for domain in self.domains:
            raw_sum = columns[domain.items[0]].copy()
            for i in domain.items[1:]:
                raw_sum += columns[i]  # NaN propagates: any missing item, no raw sum
            t_score, se = domain.table.lookup_many(raw_sum)
            scores[domain.t_score] = t_score
            scores[domain.se_score] = se
            incomplete = np.isnan(raw_sum)
            if incomplete.any():
                missing = missing_matrix(columns, domain.items)
                text = pattern_messages(missing, incomplete, domain.incomplete)
                messages.append(RowMessages(domain.id, incomplete, text))
        pain = columns[self.pain_index].copy()
        scores[self.pain_score] = pain
        absent = np.isnan(pain)
        if absent.any():
            messages.append(RowMessages(self.pain_score, absent, self.pain_unanswered))
        return ManyOutcome(scores, messages)
