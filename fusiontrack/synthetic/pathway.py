"""The path before surgery: dated stages, diagnoses, imaging, conservative care, the decision and
the pre-operative assessment. One episode per patient (``episode_id == patient_id``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.core import vocab
from fusiontrack.synthetic import _random as rnd
from fusiontrack.synthetic.parameters import value
from fusiontrack.synthetic.people import Characteristics, to_dates

NAN = np.nan
LISTHESIS = ("degenerative_spondylolisthesis", "isthmic_spondylolisthesis")
STENOTIC = ("degenerative_spondylolisthesis", "spinal_stenosis", "recurrent_disc_herniation")


@dataclass
class Timeline:
    """Per-patient planned dates in days since 1970-01-01 (NaN where not applicable)."""

    first_visit: NDArray[np.int64]
    conservative_start: NDArray[np.int64]
    conservative_days: NDArray[np.int64]
    decision: NDArray[np.int64]
    preparation: NDArray[np.int64]
    surgery: NDArray[np.int64]
    withdrawn: NDArray[np.bool_]
    withdrawal: NDArray[np.float64]
    levels: NDArray[np.object_]
    meyerding: NDArray[np.object_]
    symptom_months: NDArray[np.int64]
    secondary_stenosis: NDArray[np.bool_]

    def operated_by(self, as_of_day: int) -> NDArray[np.bool_]:
        return np.asarray(~self.withdrawn & (self.surgery <= as_of_day))


def draw_timeline(seed: int, c: Characteristics) -> Timeline:
    rng = rnd.stream(seed, "timeline")
    n = c.n
    cc_days = np.maximum(
        rnd.lognormal_from_median(rng, value("conservative_care_days_median"), 0.5, n),
        value("conservative_care_days_min"),
    ).astype(np.int64)
    cc_start = c.first_visit + rng.integers(0, 22, n)
    decision = c.first_visit + cc_days
    preparation = decision + rng.integers(1, 8, n)
    wait = np.clip(
        rnd.lognormal_from_median(rng, value("decision_to_surgery_days_median"), 0.4, n), 14, 180
    ).astype(np.int64)
    surgery = decision + np.maximum(wait, preparation - decision + 1)
    withdrawn = rng.random(n) < value("withdrawn_before_surgery")
    withdrawal = np.where(withdrawn, rnd.uniform_days(rng, c.first_visit + 30, surgery - 1, n), NAN)
    levels = rnd.categorical_by_group(rng, c.diagnosis, value("levels_by_diagnosis"))
    meyerding = rnd.categorical_by_group(rng, c.diagnosis, value("meyerding_by_diagnosis"))
    meyerding = np.where(np.isin(c.diagnosis, LISTHESIS), meyerding, "").astype(object)
    months = np.maximum(
        rnd.lognormal_from_median(rng, value("symptom_duration_months_median"), 0.7, n), 3
    ).astype(np.int64)
    secondary = (c.diagnosis == "degenerative_spondylolisthesis") & (rng.random(n) < 0.5)
    return Timeline(
        c.first_visit,
        cc_start,
        cc_days,
        decision,
        preparation,
        surgery,
        withdrawn,
        withdrawal,
        levels,
        meyerding,
        months,
        secondary,
    )


def diagnoses_table(c: Characteristics, t: Timeline) -> pd.DataFrame:
    """The primary diagnosis of every episode, plus stenosis as a secondary one in half of DS."""
    n = c.n
    primary = pd.DataFrame(
        {
            "episode_id": np.arange(1, n + 1),
            "diagnosis": c.diagnosis,
            "is_primary": True,
            "meyerding_grade": t.meyerding,
            "levels": t.levels,
            "diagnosed_on": to_dates(t.first_visit),
            "symptom_duration_months": t.symptom_months,
            "pain_dominance": c.dominance,
        }
    )
    idx = np.flatnonzero(t.secondary_stenosis)
    secondary = primary.iloc[idx].assign(
        diagnosis="spinal_stenosis", is_primary=False, meyerding_grade=""
    )
    out = pd.concat([primary, secondary], ignore_index=True)
    out = out.sort_values(["episode_id", "is_primary"], ascending=[True, False], kind="stable")
    return _with_id(out, "diagnosis_id")


FINDINGS = {
    "degenerative_spondylolisthesis": "{lv}: degenerative anterolisthesis with facet arthropathy "
    "and central canal stenosis.",
    "isthmic_spondylolisthesis": "{lv}: pars defects with isthmic anterolisthesis and foraminal "
    "narrowing.",
    "spinal_stenosis": "{lv}: moderate to severe central and lateral recess stenosis.",
    "degenerative_disc_disease": "{lv}: disc desiccation and height loss with Modic type 1 "
    "endplate changes.",
    "recurrent_disc_herniation": "{lv}: recurrent disc herniation at the operated level with "
    "epidural scar.",
    "instability": "{lv}: segmental instability with translation on dynamic films.",
    "pseudarthrosis_revision": "{lv}: lucency around implants, no bridging bone (pseudarthrosis).",
    "other": "{lv}: degenerative changes, see report.",
}


def imaging_table(seed: int, c: Characteristics, t: Timeline, as_of_day: int) -> pd.DataFrame:
    rng = rnd.stream(seed, "imaging")
    n = c.n
    p = value("imaging_probabilities")
    listhesis = np.isin(c.diagnosis, [*LISTHESIS, "instability"])
    draws = {
        "mri": (np.ones(n, bool), c.first_visit - rng.integers(0, 91, n)),
        "xray": (rng.random(n) < p["xray"], c.first_visit + rng.integers(0, 15, n)),
        "flexion_extension": (
            rng.random(n)
            < np.where(listhesis, p["flexion_extension_listhesis"], p["flexion_extension_other"]),
            c.first_visit + rng.integers(0, 31, n),
        ),
        "ct": (rng.random(n) < p["ct"], t.decision - rng.integers(0, 31, n)),
    }
    frames = []
    for modality, (has, day) in draws.items():
        keep = has & (day <= as_of_day)
        idx = np.flatnonzero(keep)
        frames.append(
            pd.DataFrame(
                {
                    "episode_id": idx + 1,
                    "modality": modality,
                    "study_date": to_dates(day[idx]),
                    "findings": [
                        FINDINGS[d].format(lv=lv.replace("-", "–"))
                        for d, lv in zip(c.diagnosis[idx], t.levels[idx], strict=True)
                    ],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).sort_values(
        ["episode_id", "study_date"], kind="stable"
    )
    return _with_id(out, "imaging_id")


def conservative_care_table(
    seed: int, c: Characteristics, t: Timeline, as_of_day: int
) -> pd.DataFrame:
    rng = rnd.stream(seed, "conservative_care")
    n = c.n
    probs = value("conservative_care_probabilities")
    treatments = [code for code, _ in vocab.CONSERVATIVE_CARE_TYPES]
    eligible = {
        "weight_loss": c.bmi >= 30,
        "smoking_cessation": c.smoker,
    }
    given = np.column_stack(
        [(rng.random(n) < probs[tr]) & eligible.get(tr, True) for tr in treatments]
    )
    rows, cols = np.nonzero(given)
    m = len(rows)
    span = np.maximum(t.conservative_days[rows] // 2, 1)
    start = t.conservative_start[rows] + np.floor(rng.random(m) * span).astype(np.int64)
    end = np.minimum(start + rng.integers(28, 121, m), t.decision[rows])
    keep = start <= as_of_day
    rows, cols, start, end = rows[keep], cols[keep], start[keep], end[keep]
    ongoing = end > as_of_day
    response = rnd.categorical(rng, value("conservative_care_response"), len(rows))
    out = pd.DataFrame(
        {
            "episode_id": rows + 1,
            "treatment": np.asarray(treatments, dtype=object)[cols],
            "start_date": to_dates(start),
            "end_date": to_dates(np.where(ongoing, NAN, end)),
            "response": np.where(ongoing, "unknown", response),
        }
    ).sort_values(["episode_id", "start_date"], kind="stable")
    return _with_id(out, "treatment_id")


INDICATIONS = {
    "degenerative_spondylolisthesis": "Neurogenic claudication from degenerative "
    "spondylolisthesis with stenosis, refractory to conservative care.",
    "isthmic_spondylolisthesis": "Radicular and mechanical back pain from isthmic "
    "spondylolisthesis, refractory to conservative care.",
    "spinal_stenosis": "Stenosis with instability needing decompression and fusion.",
    "degenerative_disc_disease": "Disabling discogenic back pain concordant with imaging after "
    "failed structured rehabilitation.",
    "recurrent_disc_herniation": "Second recurrence of disc herniation with mechanical back pain.",
    "instability": "Symptomatic segmental instability on dynamic films.",
    "pseudarthrosis_revision": "Symptomatic pseudarthrosis after previous fusion.",
    "other": "See clinic letter.",
}


def decisions_table(seed: int, c: Characteristics, t: Timeline, as_of_day: int) -> pd.DataFrame:
    rng = rnd.stream(seed, "decisions")
    n = c.n
    reached = (t.decision <= as_of_day) & ~(t.withdrawal < t.decision)
    concordant = rng.random(n) < value("decision_imaging_concordant")
    shared = rng.random(n) < value("decision_shared_documented")
    idx = np.flatnonzero(reached)
    out = pd.DataFrame(
        {
            "episode_id": idx + 1,
            "decision_date": to_dates(t.decision[idx]),
            "indication": [INDICATIONS[d] for d in c.diagnosis[idx]],
            "conservative_care_weeks": t.conservative_days[idx] // 7,
            "imaging_concordant": concordant[idx],
            "shared_decision_documented": shared[idx],
            "decided_by_surgeon_id": c.surgeon_id[idx],
        }
    )
    return _with_id(out, "decision_id")


def preop_table(seed: int, c: Characteristics, t: Timeline, as_of_day: int) -> pd.DataFrame:
    """One pre-operative assessment per episode that reached preparation before as_of."""
    rng = rnd.stream(seed, "preop")
    n = c.n
    day = np.maximum(t.surgery - rng.integers(7, 31, n), t.decision + 1)
    reached = (day <= as_of_day) & ~(t.withdrawal < day)
    sex = np.where(c.female, "female", "male")
    height_table = value("height_cm_by_sex")
    height = np.where(
        c.female,
        rng.normal(*height_table["female"], n),
        rng.normal(*height_table["male"], n),
    )
    weight = c.bmi * (height / 100) ** 2
    hba1c_table = value("hba1c_mean_sd")
    measured = c.diabetes | (rng.random(n) < value("hba1c_measured_if_not_diabetic"))
    hba1c = np.where(
        c.diabetes,
        rng.normal(*hba1c_table["diabetic"], n),
        rng.normal(*hba1c_table["non_diabetic"], n),
    )
    dexa_eligible = (c.female & (c.age >= 50)) | (c.age >= 65)
    dexa = dexa_eligible & (rng.random(n) < value("bone_density_measured_fraction"))
    t_score = rng.normal(*value("bone_density_t_score_mean_sd"), n)
    anticoagulant = rng.random(n) < value("anticoagulant_fraction")
    antiplatelet = rng.random(n) < value("antiplatelet_fraction")
    haemoglobin = rng.normal(np.where(sex == "female", 13.2, 14.6), 1.1)
    cleared = day + rng.integers(0, 8, n)
    idx = np.flatnonzero(reached)
    out = pd.DataFrame(
        {
            "episode_id": idx + 1,
            "assessment_date": to_dates(day[idx]),
            "asa_class": c.asa[idx],
            "height_cm": np.round(height[idx], 1),
            "weight_kg": np.round(weight[idx], 1),
            "bmi": np.round(c.bmi[idx], 1),
            "smoking": c.smoking[idx],
            "diabetes": c.diabetes[idx],
            "hba1c_percent": np.where(measured, np.round(np.clip(hba1c, 4.0, 14.0), 1), NAN)[idx],
            "bone_density_t_score": np.where(dexa, np.round(np.clip(t_score, -5, 3), 1), NAN)[idx],
            "anticoagulant": anticoagulant[idx],
            "antiplatelet": antiplatelet[idx],
            "labs": [f"Haemoglobin {h:.1f} g/dL" for h in haemoglobin[idx]],
            "cleared": (cleared <= as_of_day)[idx],
            "cleared_on": to_dates(np.where(cleared <= as_of_day, cleared, NAN)[idx]),
        }
    )
    return _with_id(out, "assessment_id")


def _with_id(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame.insert(0, name, np.arange(1, len(frame) + 1))
    return frame
