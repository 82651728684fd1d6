""" "Patients like you" (issue 5 §4): outcomes of similar past patients and a validated outcome
model, for one patient before surgery. Matching and the model are the statistics core's
(`SimilarPatients`, `OutcomeModel`); their rules are shown on the page.

The outcome model takes seconds to fit with its bootstrap, so it is fitted once per set of sites
and day and kept in the Django cache, never per page view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache

from fusiontrack.core.outcomes import classify_change_batch
from fusiontrack.core.stats import OutcomeModel, SimilarPatients, SimilarPatientsResult
from fusiontrack.insight import charts, snapshot
from fusiontrack.registry import models as m

OUTCOMES = {
    "ODI at 3 months": "odi_3m",
    "ODI at 12 months": "odi_12m",
    "ODI at 24 months": "odi_24m",
    "Reached the ODI MCID at 12 months": "mcid_12m",
}
ODI_BINS = (0, 10, 20, 30, 40, 50, 60, 70, 80, 100)
MODEL_PREDICTORS = ("odi", "age", "smoking", "bmi")
MODEL_CACHE_SECONDS = 24 * 3600
#: Bootstrap resamples for the optimism correction: 200 (Harrell's usual number) up to 10,000
#: patients, then fewer so one fit stays within a page's patience on a large registry
#: (patients × resamples ≤ 2,000,000, at least 20). With tens of thousands of patients the
#: optimism is tiny and stable, so fewer resamples change the corrected figures very little.
MAX_BOOTSTRAP_WORK = 2_000_000


def n_bootstrap_for(n_patients: int) -> int:
    return int(max(20, min(200, MAX_BOOTSTRAP_WORK // max(n_patients, 1))))


@dataclass
class SimilarReport:
    patient_values: dict[str, Any]
    result: SimilarPatientsResult | None
    error: str
    histograms: list[tuple[str, str]]
    model: Any  # ModelValidation
    predicted: float | None


def registry_frame(site_ids: Sequence[int], as_of: dt.date) -> pd.DataFrame:
    """One row per operated episode: baseline factors and ODI outcomes."""
    data = snapshot.full_cohort(site_ids, as_of)
    ep = data.episodes
    odi = data.wide("odi")
    frame = pd.DataFrame(
        {
            "diagnosis": ep["diagnosis"],
            "levels": ep["levels"],
            "smoking": ep["smoking"].replace("", np.nan),
            "sex": ep["sex"],
            "odi": odi.get("baseline"),
            "age": ep["age"].astype(float),
            "bmi": ep["bmi"],
        }
    )
    for tp in ("3m", "12m", "24m"):
        frame[f"odi_{tp}"] = odi.get(tp, pd.Series(np.nan, index=odi.index))
    mcid = pd.Series(np.nan, index=frame.index, dtype=object)
    has = frame["odi"].notna() & frame["odi_12m"].notna()
    if has.any():
        flags = classify_change_batch("odi", frame.loc[has, "odi"], frame.loc[has, "odi_12m"])
        mcid[has] = [bool(v) for v in flags["mcid"]]
    frame["mcid_12m"] = mcid
    return frame


def outcome_model(site_ids: Sequence[int], as_of: dt.date, registry: pd.DataFrame) -> Any:
    """The fitted 12-month ODI MCID model for these sites, from the cache when possible."""
    key = f"insight:model:{','.join(map(str, site_ids))}:{as_of.isoformat()}:{len(registry)}"
    model = cache.get(key)
    if model is None:
        frame = registry.assign(mcid_12m=registry["mcid_12m"].astype(float))
        usable = int(frame["mcid_12m"].notna().sum())
        model = OutcomeModel(MODEL_PREDICTORS, n_bootstrap=n_bootstrap_for(usable)).fit(
            frame, "mcid_12m"
        )
        cache.set(key, model, MODEL_CACHE_SECONDS)
    return model


def patient_values(episode: m.Episode, as_of: dt.date) -> dict[str, Any]:
    """This patient's baseline factors, as the registry frame names them."""
    diagnosis = episode.diagnoses.filter(is_primary=True).order_by("diagnosed_on").first()
    operation = episode.operations.order_by("operation_date").first()
    preop = episode.preoperative_assessments.order_by("-assessment_date").first()
    odi = (
        m.Score.objects.filter(episode=episode, measure="odi", timepoint="baseline")
        .order_by("-responded_on", "-id")
        .values_list("value", flat=True)
        .first()
    )
    born = episode.patient.date_of_birth
    on = episode.surgery_date or episode.planned_surgery_date or as_of
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return {
        "diagnosis": diagnosis.diagnosis if diagnosis else None,
        "levels": (operation.levels if operation else None)
        or (diagnosis.levels if diagnosis else None),
        "smoking": (preop.smoking or None) if preop else None,
        "sex": episode.patient.sex,
        "odi": odi,
        "age": float(age),
        "bmi": float(preop.bmi) if preop and preop.bmi is not None else None,
    }


def similar_report(episode: m.Episode, site_ids: Sequence[int], as_of: dt.date) -> SimilarReport:
    from fusiontrack.core.stats import StatsInputError

    registry = registry_frame(site_ids, as_of)
    values = patient_values(episode, as_of)
    result, error = None, ""
    try:
        finder = SimilarPatients().fit(registry)
        result = finder.query(
            values,
            OUTCOMES,
            bins={c: ODI_BINS for c in OUTCOMES.values() if c.startswith("odi")},
            exclude=[episode.pk],
        )
    except StatsInputError as exc:
        error = str(exc)
    histograms = []
    if result is not None and not result.too_few:
        for outcome in result.outcomes:
            if outcome.bin_counts and not outcome.too_few:
                histograms.append(
                    (
                        outcome.label,
                        charts.histogram(
                            f"{outcome.label}: similar patients (n = {outcome.n_with_outcome})",
                            outcome.bin_edges,
                            outcome.bin_counts,
                        ),
                    )
                )
    model = outcome_model(site_ids, as_of, registry)
    predicted = None
    if model.validation_.shown and values.get("odi") is not None:
        row = pd.DataFrame([values])
        risk = model.predict(row)
        predicted = float(risk[0]) if np.isfinite(risk[0]) else None
    return SimilarReport(values, result, error, histograms, model.validation_, predicted)
