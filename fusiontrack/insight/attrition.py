"""Attrition-aware results (issue 5 §2): who did not answer, and what the MCID rate would be if
non-responders resembled responders with the same baseline factors (inverse-probability
weighting, `fusiontrack.core.stats.IPWProportion`; method and sources in its docstring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusiontrack.core import vocab
from fusiontrack.core.outcomes import classify_change_batch
from fusiontrack.core.stats import IPWProportion, ModelFitError, StatsInputError
from fusiontrack.insight.aggregates import THRESHOLD_TIMEPOINTS, Table, due_mask
from fusiontrack.insight.queries import CohortData

COVARIATES = ("age", "sex", "smoking", "asa", "diagnosis", "odi_baseline")
LABELS = {
    "age": "age",
    "sex": "sex",
    "smoking": "smoking",
    "asa": "ASA class",
    "diagnosis": "diagnosis",
    "odi_baseline": "disability before surgery (ODI)",
}
LEVEL_LABELS = {
    "diagnosis": dict(vocab.DIAGNOSES),
    "smoking": dict(vocab.SMOKING_STATUS),
    "sex": dict(vocab.SEX),
    "asa": dict(vocab.ASA_CLASSES),
}
#: Below this many responders or non-responders the response model is not fitted.
MIN_GROUP = 10


def eligible_frame(data: CohortData, timepoint: str) -> pd.DataFrame:
    """Eligible episodes for ODI MCID at ``timepoint`` with covariates; ``mcid`` blank = did
    not answer."""
    ep = data.episodes
    odi = data.wide("odi")
    if "baseline" not in odi:
        return pd.DataFrame(columns=[*COVARIATES, "mcid"])
    follow = odi[timepoint] if timepoint in odi else pd.Series(np.nan, index=odi.index)
    eligible = odi["baseline"].notna() & (due_mask(data, timepoint) | follow.notna())
    frame = pd.DataFrame(
        {
            "age": ep["age"].astype(float),
            "sex": ep["sex"],
            "smoking": ep["smoking"].replace("", np.nan),
            "asa": ep["asa"].replace("", np.nan),
            "diagnosis": ep["diagnosis"],
            "odi_baseline": odi["baseline"],
        }
    )[eligible]
    mcid = pd.Series(np.nan, index=frame.index)
    answered = follow[eligible].notna()
    if answered.any():
        flags = classify_change_batch(
            "odi", odi.loc[eligible, "baseline"][answered], follow[eligible][answered]
        )
        mcid[answered[answered].index] = flags["mcid"].astype(float).to_numpy()
    return frame.assign(mcid=mcid)


def attrition_tables(data: CohortData) -> tuple[Table, Table, str]:
    """IPW vs complete-case ODI MCID at 3, 12 and 24 months; the 12-month responder table; the
    12-month plain-language explanation."""
    rows, baseline_rows, explanation = [], [], ""
    for tp in THRESHOLD_TIMEPOINTS:
        frame = eligible_frame(data, tp)
        answered = frame["mcid"].notna()
        row: dict[str, object] = {
            "measure": "odi",
            "timepoint": tp,
            "n_eligible": len(frame),
            "n_answering": int(answered.sum()),
        }
        if answered.sum() < MIN_GROUP or (~answered).sum() < MIN_GROUP:
            row["note"] = f"fewer than {MIN_GROUP} responders or non-responders: no model"
            rows.append(row)
            continue
        try:
            fitted = IPWProportion(COVARIATES, labels=LABELS).fit(frame, "mcid")
        except (StatsInputError, ModelFitError) as exc:
            row["note"] = str(exc)
            rows.append(row)
            continue
        result = fitted.result_
        cc = result.complete_case
        row.update(
            complete_case=cc.proportion,
            cc_lower=cc.lower,
            cc_upper=cc.upper,
            ipw=result.estimate,
            ipw_lower=result.lower,
            ipw_upper=result.upper,
            effective_n=result.effective_sample_size,
            n_excluded=result.n_excluded_missing_covariates,
            note="",
        )
        rows.append(row)
        if tp == "12m":
            explanation = result.explanation
            baseline_rows = [
                {
                    "variable": LABELS.get(b.variable, b.variable),
                    "level": b.level or "",
                    "responders": b.responders,
                    "non_responders": b.non_responders,
                    "smd": b.smd,
                    "weighted_responders": b.weighted_responders,
                    "weighted_smd": b.weighted_smd,
                    "n_responders": b.n_responders,
                    "n_non_responders": b.n_non_responders,
                }
                for b in fitted.baseline_table_
            ]
    columns = [
        "measure",
        "timepoint",
        "n_eligible",
        "n_answering",
        "complete_case",
        "cc_lower",
        "cc_upper",
        "ipw",
        "ipw_lower",
        "ipw_upper",
        "effective_n",
        "n_excluded",
        "note",
    ]
    ipw = Table(
        "attrition_ipw",
        "ODI MCID: complete-case vs inverse-probability-weighted (95 % CI)",
        pd.DataFrame(rows, columns=columns),
        "Complete case = share of those answering (Wilson CI). IPW = responders weighted by "
        "1 / P(answering | age, sex, smoking, ASA, diagnosis, baseline ODI) from a logistic "
        "model (stabilised, truncated at the 1st/99th percentile; robust sandwich CI). It "
        "corrects for non-response explained by these factors only (missing at random).",
        counts=("n_eligible", "n_answering"),
        derived=(
            "complete_case",
            "cc_lower",
            "cc_upper",
            "ipw",
            "ipw_lower",
            "ipw_upper",
            "effective_n",
        ),
    )
    baseline = Table(
        "attrition_baseline",
        "Baseline of responders vs non-responders at 12 months (standardised differences)",
        pd.DataFrame(
            baseline_rows,
            columns=[
                "variable",
                "level",
                "responders",
                "non_responders",
                "smd",
                "weighted_responders",
                "weighted_smd",
                "n_responders",
                "n_non_responders",
            ],
        ),
        "Means (or shares for categories). |SMD| > 0.1 is a notable imbalance (Austin 2009, "
        "Stat Med 28:3083); weighted columns show the balance after IPW.",
        counts=("n_responders", "n_non_responders"),
        derived=("responders", "non_responders", "smd", "weighted_responders", "weighted_smd"),
    )
    return ipw, baseline, explanation
