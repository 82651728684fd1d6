"""Oswestry Disability Index: percentage of the maximum over the sections answered, and its band.

ODI (%) = sum of section scores / (5 × sections answered) × 100 (Fairbank & Pynsent 2000;
SRAlab RehabMeasures "[total score/(5 x number of questions answered)] x 100%" [SRC]). Missing
sections shrink the denominator by 5 each [SRC: idcafe.net]; how many may be missing is the
`max_missing` option (default 1, awell-score's rule [SRC]; the limit is not standardised).

Rounding: the percentage is rounded half-to-even to `decimals` (2) places. 16/45 → 35.56, where
Fairbank's worked example prints a truncated 35.5. With ≤ 10 sections the score is 20·sum/answered,
which never ties at the third decimal, so half-even versus half-up never matters.

Bands (instruments.md §1.4 [SRC: idcafe.net, brainwritings.com]) are "0–20 minimal, 21–40
moderate, 41–60 severe, 61–80 crippled, 81–100 bed-bound". Prorated scores fall between those
integer edges, so the bands are read as half-open intervals with an inclusive upper edge:
[0, 20], (20, 40], (40, 60], (60, 80], (80, 100]. The band is taken from the rounded score; for
ODI this is the same as from the exact score, because 20·sum/answered ≠ 20 k lies ≥ 2 points
from every edge.
"""

from __future__ import annotations

from bisect import bisect_left
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
    pattern_messages,
    round_many,
    round_one,
    words,
)

SCORES = ("odi", "odi_band", "odi_answered")


class OdiRule:
    def __init__(self, ctx: RuleContext) -> None:
        ctx.check_params(("sections", "decimals", "band_upper_edges"))
        ctx.require_scores(SCORES)
        self.sections = ctx.item_indexes("sections", 10)
        self.parts: tuple[Part, ...] = (Part("odi", self.sections),)
        decimals = ctx.param("decimals")
        if not isinstance(decimals, int):
            raise ctx.fail("decimals", "must be a whole number")
        self.decimals = decimals
        edges = ctx.param("band_upper_edges")
        categories = ctx.scores["odi_band"].categories
        if (
            not isinstance(edges, list)
            or len(edges) != len(categories)
            or not all(isinstance(e, int | float) for e in edges)
            or edges != sorted(edges)
            or edges[-1] != 100
        ):
            raise ctx.fail(
                "band_upper_edges",
                "must be ascending numbers ending at 100, one per odi_band category",
            )
        self.edges = tuple(float(e) for e in edges)
        self._edges_array = np.array(self.edges)

    def prepare_options(self, options: dict[str, object]) -> dict[str, object]:
        return options

    def _incomplete(self, missing: tuple[int, ...], max_missing: int) -> str:
        if len(missing) == len(self.sections):
            return "ODI was not answered: all 10 sections are blank."
        numbers = [str(m + 1) for m in missing]
        one = len(missing) == 1
        allows = (
            "no missing section"
            if max_missing == 0
            else f"at most {max_missing} missing section{'s' if max_missing > 1 else ''}"
        )
        return (
            f"ODI section{'' if one else 's'} {words(numbers)} {'is' if one else 'are'} missing; "
            f"ODI allows {allows} (setting odi_max_missing). "
            f"Answer {'it' if one else 'them'} or mark the response incomplete."
        )

    def score_one(self, values: Values, options: Options) -> OneOutcome:
        max_missing = options["max_missing"]
        assert isinstance(max_missing, int)
        total = 0.0
        answered = 0
        missing = []
        for position, index in enumerate(self.sections):
            value = values[index]
            if value is None:
                missing.append(position)
            else:
                total += value
                answered += 1
        if answered == 0 or len(missing) > max_missing:
            return OneOutcome({}, [("odi", self._incomplete(tuple(missing), max_missing))])
        odi = round_one(total / (5.0 * answered) * 100.0, self.decimals)
        band = bisect_left(self.edges, odi)
        return OneOutcome(
            {"odi": odi, "odi_band": float(band), "odi_answered": float(answered)}, []
        )

    def score_many(self, columns: Sequence[FloatArray], options: Options) -> ManyOutcome:
        max_missing = options["max_missing"]
        assert isinstance(max_missing, int)
        n = columns[0].shape[0]
        total = np.zeros(n)
        missing_count = np.zeros(n, dtype=np.int8)
        missing = []
        for index in self.sections:
            column = columns[index]
            absent = np.isnan(column)
            missing.append(absent)
            # fmax ignores NaN: an unanswered section adds 0; answers (all >= 0) are unchanged
            np.add(total, np.fmax(column, 0.0), out=total)
            np.add(missing_count, absent, out=missing_count, casting="unsafe")
        answered = (len(self.sections) - missing_count).astype(np.float64)
        complete = (answered > 0) & (missing_count <= max_missing)
        with np.errstate(invalid="ignore", divide="ignore"):
            odi = round_many(total / (5.0 * answered) * 100.0, self.decimals)
        incomplete = ~complete
        odi[incomplete] = np.nan
        # number of band edges below the score == bisect_left(edges, score) in score_one
        band = np.zeros(n, dtype=np.int8)
        for edge in self.edges:
            np.add(band, odi > edge, out=band, casting="unsafe")
        band_values = band.astype(np.float64)
        band_values[incomplete] = np.nan
        answered[incomplete] = np.nan
        messages = []
        if incomplete.any():
            text = pattern_messages(missing, incomplete, lambda m: self._incomplete(m, max_missing))
            messages.append(RowMessages("odi", incomplete, text))
        scores = {"odi": odi, "odi_band": band_values, "odi_answered": answered}
        return ManyOutcome(scores, messages)
