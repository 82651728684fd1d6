"""The operation and what follows it: hospital stay, complications (Clavien–Dindo), reoperations,
fusion assessments and return to work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.synthetic import _random as rnd
from fusiontrack.synthetic.parameters import value
from fusiontrack.synthetic.pathway import STENOTIC, Timeline, _with_id
from fusiontrack.synthetic.people import Characteristics, calibrate_intercept, to_dates

NAN = np.nan
INTERBODY = ("tlif", "plif", "alif", "llif", "olif")
TWO_LEVEL = ("L4-S1", "L3-L5", "L3-S1")
APPROACH_LABELS = {
    "tlif": "TLIF",
    "plif": "PLIF",
    "alif": "ALIF",
    "llif": "LLIF",
    "olif": "OLIF",
    "posterolateral": "posterolateral fusion",
}
ADJACENT_LEVEL = {
    "L4-L5": "L3-L4",
    "L5-S1": "L4-L5",
    "L4-S1": "L3-L4",
    "L3-L4": "other",
    "L3-L5": "other",
    "L3-S1": "other",
    "other": "other",
}
# When each complication occurs, in days after surgery (inclusive range).
ONSET_DAYS = {
    "durotomy": (0, 0),
    "nerve_root_injury": (0, 0),
    "neuro_deficit": (0, 2),
    "urinary_retention": (1, 3),
    "dvt_pe": (3, 40),
    "ssi_superficial": (7, 30),
    "ssi_deep": (14, 90),
    "wound_dehiscence": (7, 21),
    "readmission": (3, 30),
    "hardware_failure": (60, 540),
    "adjacent_segment_disease": (180, 720),
    "other": (1, 60),
}
REOPERATION_DELAY = {
    "ssi_deep": (0, 3),
    "hardware_failure": (14, 90),
    "non_union": (30, 180),
    "adjacent_segment_disease": (30, 180),
    "wound_dehiscence": (0, 7),
}
REOPERATION_REASON = {
    "ssi_deep": "Irrigation and debridement of deep surgical site infection",
    "hardware_failure": "Revision of loose or malpositioned pedicle screws",
    "non_union": "Revision fusion for pseudarthrosis",
    "adjacent_segment_disease": "Extension of fusion for adjacent segment disease",
    "wound_dehiscence": "Wound revision and closure",
}


@dataclass
class Surgery:
    """Per-patient operative facts (defined for everyone; used where ``operated``)."""

    operated: NDArray[np.bool_]
    approach: NDArray[np.object_]
    mis: NDArray[np.bool_]
    two_level: NDArray[np.bool_]
    los: NDArray[np.int64]
    died: NDArray[np.bool_]
    death_day: NDArray[np.float64]
    fused_final: NDArray[np.bool_]

    @property
    def followed(self) -> NDArray[np.bool_]:
        """Operated and alive: these patients get follow-up questionnaires."""
        return np.asarray(self.operated & ~self.died)


def draw_surgery(seed: int, c: Characteristics, t: Timeline, as_of_day: int) -> Surgery:
    rng = rnd.stream(seed, "surgery")
    n = c.n
    approach = rnd.categorical_by_group(rng, c.diagnosis, value("approach_by_diagnosis"))
    mis_p = float(value("mis_fraction_posterior"))
    mis = np.where(
        np.isin(approach, ("llif", "olif")),
        True,
        np.where(approach == "alif", False, rng.random(n) < mis_p),
    )
    two_level = np.isin(t.levels, TWO_LEVEL)
    los_table = value("length_of_stay_days")
    los = np.maximum(
        np.round(
            np.where(
                mis,
                rnd.lognormal_from_mean_sd(rng, *los_table["mis"], n),
                rnd.lognormal_from_mean_sd(rng, *los_table["open"], n),
            )
        ),
        1,
    ).astype(np.int64)
    operated = t.operated_by(as_of_day)
    died = operated & (rng.random(n) < value("in_hospital_mortality"))
    death_day = np.where(died, t.surgery + rnd.uniform_days(rng, 1, los, n), NAN)
    los = np.where(died, np.nan_to_num(death_day - t.surgery).astype(np.int64), los)
    nf_or = float(value("non_fusion_odds_ratio_smoker"))
    shift = np.where(c.smoker, np.log(nf_or), 0.0)
    b0 = calibrate_intercept(shift, 1.0 - float(value("fusion_rate_final")))
    fused_final = rng.random(n) >= rnd.sigmoid(b0 + shift)
    return Surgery(operated, approach, mis, two_level, los, died, death_day, fused_final)


def operations_table(
    seed: int, c: Characteristics, t: Timeline, s: Surgery, durotomy: NDArray[np.bool_]
) -> pd.DataFrame:
    rng = rnd.stream(seed, "operations")
    n = c.n
    interbody = np.isin(s.approach, INTERBODY)
    stenotic = np.isin(c.diagnosis, STENOTIC)
    p_dec = value("decompression_probability")
    decompression = rng.random(n) < np.where(stenotic, p_dec["stenotic"], p_dec["default"])
    screws = np.where(
        interbody, rng.random(n) < 0.97, rng.random(n) < value("instrumented_posterolateral")
    )
    grafts = _draw_grafts(rng, n)
    cage = np.where(interbody, rnd.categorical(rng, value("cage_material_mix"), n), "")
    technique = np.where(s.mis, "mis", "open")
    dur = value("duration_minutes_one_level")
    duration = np.where(s.mis, rng.normal(*dur["mis"], n), rng.normal(*dur["open"], n)) + np.where(
        s.two_level, value("duration_minutes_extra_level"), 0.0
    )
    ebl = value("blood_loss_ml_one_level")
    blood = np.where(
        s.mis,
        rnd.lognormal_from_mean_sd(rng, *ebl["mis"], n),
        rnd.lognormal_from_mean_sd(rng, *ebl["open"], n),
    ) * np.where(s.two_level, value("blood_loss_extra_level_factor"), 1.0)
    idx = np.flatnonzero(s.operated)
    out = pd.DataFrame(
        {
            "episode_id": idx + 1,
            "operation_date": to_dates(t.surgery[idx]),
            "surgeon_id": c.surgeon_id[idx],
            "levels": t.levels[idx],
            "approach": s.approach[idx],
            "technique": technique[idx],
            "decompression": decompression[idx],
            "grafts": grafts[idx],
            "pedicle_screws": screws[idx],
            "rods": screws[idx],
            "interbody_cage": interbody[idx],
            "cage_material": cage[idx],
            "navigation": (rng.random(n) < value("navigation_fraction"))[idx],
            "robot": (rng.random(n) < value("robot_fraction"))[idx],
            "duration_minutes": np.clip(np.round(duration), 60, 480).astype(np.int64)[idx],
            "blood_loss_ml": np.clip(np.round(blood / 10) * 10, 10, 4000).astype(np.int64)[idx],
            "intraoperative_complications": np.where(
                durotomy, "Incidental durotomy, repaired primarily.", ""
            )[idx],
        }
    )
    return _with_id(out, "operation_id")


def _draw_grafts(rng: np.random.Generator, n: int) -> NDArray[np.object_]:
    probs = value("graft_probabilities")
    codes = list(probs)
    has = np.column_stack([rng.random(n) < probs[code] for code in codes])
    has[~has.any(axis=1), 0] = True  # every fusion has some graft
    out = np.empty(n, dtype=object)
    for i, row in enumerate(has):
        out[i] = [code for code, flag in zip(codes, row, strict=True) if flag]
    return out


def stays_table(seed: int, t: Timeline, s: Surgery, as_of_day: int) -> pd.DataFrame:
    rng = rnd.stream(seed, "stays")
    n = len(s.operated)
    discharge = t.surgery + s.los
    destination = np.where(s.died, "died", rnd.categorical(rng, value("discharge_destinations"), n))
    home = discharge <= as_of_day
    idx = np.flatnonzero(s.operated)
    out = pd.DataFrame(
        {
            "episode_id": idx + 1,
            "admission_date": to_dates(t.surgery[idx]),
            "discharge_date": to_dates(np.where(home, discharge, NAN)[idx]),
            "length_of_stay_days": pd.array(np.where(home, s.los, -1)[idx]).astype("Int64"),
            "destination": np.where(home, destination, "")[idx],
        }
    )
    out.loc[out["length_of_stay_days"] < 0, "length_of_stay_days"] = pd.NA
    return _with_id(out, "stay_id")


@dataclass
class Events:
    """Complications and reoperations as flat arrays (one element per event)."""

    complications: pd.DataFrame
    reoperations: pd.DataFrame
    durotomy: NDArray[np.bool_]


def draw_events(
    seed: int,
    c: Characteristics,
    t: Timeline,
    s: Surgery,
    fusion: pd.DataFrame,
    as_of_day: int,
) -> Events:
    rng = rnd.stream(seed, "complications")
    n = c.n
    probs = {**value("complication_probabilities")}
    probs["durotomy"] = value("durotomy_probability")
    probs["readmission"] = value("readmission_30d_probability")
    ssi = value("ssi_probability")
    ssi_p = (
        np.where(s.mis, ssi["mis"], ssi["open"])
        * np.where(c.diabetes, value("ssi_risk_ratio_diabetes"), 1.0)
        * np.where(c.bmi >= 30, value("ssi_risk_ratio_obesity"), 1.0)
    )
    deep = rng.random(n) < 0.5
    has_ssi = rng.random(n) < ssi_p
    flags = {cat: rng.random(n) < p for cat, p in probs.items()}
    flags["ssi_deep"] = has_ssi & deep
    flags["ssi_superficial"] = has_ssi & ~deep

    patient, category, day = [], [], []
    for cat, flag in flags.items():
        idx = np.flatnonzero(flag & s.operated)
        lo, hi = ONSET_DAYS[cat]
        patient.append(idx)
        category.append(np.full(len(idx), cat, dtype=object))
        day.append(t.surgery[idx] + rnd.uniform_days(rng, lo, hi, len(idx)))
    # Non-union: the first assessment at 12 months or later that judged the segment not fused.
    late = fusion[(fusion["timepoint"] != "6m") & (fusion["judgement"] == "not_fused")]
    late = late.drop_duplicates("episode_id")
    patient.append(late["episode_id"].to_numpy() - 1)
    category.append(np.full(len(late), "non_union", dtype=object))
    day.append(_days(late["assessment_date"]))
    # In-hospital deaths: Clavien–Dindo V.
    dead = np.flatnonzero(s.died)
    patient.append(dead)
    category.append(np.full(len(dead), "death", dtype=object))
    day.append(s.death_day[dead].astype(np.int64))

    ev = pd.DataFrame(
        {
            "patient": np.concatenate(patient),
            "category": np.concatenate(category),
            "day": np.concatenate(day),
        }
    )
    alive_then = np.isnan(s.death_day[ev["patient"]]) | (ev["day"] <= s.death_day[ev["patient"]])
    ev = ev[alive_then.to_numpy() & (ev["day"].to_numpy() <= as_of_day)]
    ev = ev.sort_values(["patient", "day", "category"], kind="stable").reset_index(drop=True)
    complications, reoperations = _grade_and_reoperate(rng, ev, t, as_of_day)
    durotomy = np.zeros(n, dtype=bool)
    durotomy[flags["durotomy"] & s.operated] = True
    return Events(complications, reoperations, durotomy)


def _grade_and_reoperate(
    rng: np.random.Generator, ev: pd.DataFrame, t: Timeline, as_of_day: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = len(ev)
    cats = ev["category"].to_numpy()
    reop_p = {
        **value("reoperation_given_complication"),
        "ssi_deep": value("ssi_reoperation_fraction"),
    }
    p = np.array([reop_p.get(cat, 0.0) for cat in cats])
    reoperated = rng.random(m) < p
    delay = np.zeros(m, dtype=np.int64)
    for cat, (lo, hi) in REOPERATION_DELAY.items():
        mask = cats == cat
        delay[mask] = rnd.uniform_days(rng, lo, hi, int(mask.sum()))
    reop_day = ev["day"].to_numpy() + delay
    reoperated &= reop_day <= as_of_day
    grade = rnd.categorical_by_group(rng, cats, value("clavien_dindo_if_not_reoperated"))
    grade = np.where(reoperated, "IIIb", grade)
    grade = np.where(cats == "death", "V", grade)
    category = np.where(cats == "death", "other", cats)
    days = ev["day"].to_numpy()
    settle = days + rnd.uniform_days(rng, 3, 60, m)
    chronic = np.isin(cats, ("hardware_failure", "adjacent_segment_disease", "non_union"))
    resolved = (settle <= as_of_day) & (rng.random(m) < np.where(chronic, 0.6, 0.95))
    resolved &= cats != "death"
    patient_reported = rng.random(m) < value("complication_reported_by_patient")
    patient_reported &= ~np.isin(cats, ("durotomy", "nerve_root_injury", "death", "non_union"))
    descriptions = np.where(cats == "death", "In-hospital death (synthetic record).", "")
    complications = _with_id(
        pd.DataFrame(
            {
                "episode_id": ev["patient"].to_numpy() + 1,
                "occurred_on": to_dates(days),
                "category": category,
                "clavien_dindo": grade,
                "reported_by": np.where(patient_reported, "patient", "clinician"),
                "intraoperative": np.isin(cats, ("durotomy", "nerve_root_injury")),
                "resolved": resolved,
                "resolved_on": to_dates(np.where(resolved, settle, NAN)),
                "description": descriptions,
            }
        ),
        "complication_id",
    )
    idx = np.flatnonzero(reoperated)
    index_levels = t.levels[ev["patient"].to_numpy()[idx]]
    levels = np.where(
        cats[idx] == "adjacent_segment_disease",
        [ADJACENT_LEVEL[lv] for lv in index_levels],
        index_levels,
    )
    reoperations = _with_id(
        pd.DataFrame(
            {
                "episode_id": ev["patient"].to_numpy()[idx] + 1,
                "reoperation_date": to_dates(reop_day[idx]),
                "reason": [REOPERATION_REASON[cat] for cat in cats[idx]],
                "levels": levels,
                "complication_id": idx + 1,
            }
        ).sort_values(["episode_id", "reoperation_date"], kind="stable"),
        "reoperation_id",
    )
    return complications, reoperations


def fusion_table(seed: int, t: Timeline, s: Surgery, as_of_day: int) -> pd.DataFrame:
    """Radiographic fusion at 6, 12 and 24 months; the judgement follows ``fused_final``."""
    rng = rnd.stream(seed, "fusion")
    n = len(s.operated)
    schedule = value("fusion_assessment_schedule")
    interbody = np.isin(s.approach, INTERBODY)
    fused_6 = s.fused_final & (rng.random(n) < value("fused_by_6m_if_eventually_fused"))
    fused_12 = s.fused_final & (rng.random(n) < value("fused_by_12m_if_eventually_fused"))
    frames = []
    for tp, days in (("6m", 182), ("12m", 365), ("24m", 730)):
        has = s.followed & (rng.random(n) < schedule[tp])
        day = t.surgery + days + rnd.uniform_days(rng, -14, 30, n)
        keep = has & (day <= as_of_day)
        if tp == "6m":
            judgement = np.where(
                fused_6, "fused", np.where(rng.random(n) < 0.3, "not_fused", "indeterminate")
            )
            modality = np.full(n, "xray", dtype=object)
        elif tp == "12m":
            judgement = np.where(
                fused_12,
                "fused",
                np.where(
                    s.fused_final,
                    "indeterminate",
                    np.where(rng.random(n) < 0.7, "not_fused", "indeterminate"),
                ),
            )
            modality = np.where(rng.random(n) < 0.5, "ct", "flexion_extension")
        else:
            judgement = np.where(s.fused_final, "fused", "not_fused")
            modality = np.where(rng.random(n) < 0.5, "xray", "flexion_extension")
        grade = np.where(
            judgement == "fused",
            np.where(rng.random(n) < 0.6, "I", "II"),
            np.where(judgement == "indeterminate", "III", "IV"),
        )
        motion_mean = np.select(
            [judgement == "fused", judgement == "indeterminate"], [1.0, 2.5], 5.0
        )
        motion = np.clip(rng.normal(motion_mean, np.where(judgement == "fused", 0.5, 1.5)), 0, 15)
        idx = np.flatnonzero(keep)
        frames.append(
            pd.DataFrame(
                {
                    "episode_id": idx + 1,
                    "timepoint": tp,
                    "assessment_date": to_dates(day[idx]),
                    "modality": modality[idx],
                    "bridwell_grade": np.where(interbody, grade, "")[idx],
                    "segmental_motion_degrees": np.where(
                        modality == "flexion_extension", np.round(motion, 1), NAN
                    )[idx],
                    "judgement": judgement[idx],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).sort_values(
        ["episode_id", "assessment_date"], kind="stable"
    )
    return _with_id(out, "assessment_id")


def return_to_work_table(
    seed: int, c: Characteristics, t: Timeline, s: Surgery, as_of_day: int
) -> pd.DataFrame:
    """Working-age patients employed before surgery, checked at 3 and 12 months."""
    rng = rnd.stream(seed, "return_to_work")
    n = c.n
    employed = (
        s.followed & (c.age < 65) & (rng.random(n) < value("employed_before_surgery_under_65"))
    )
    by_3m = float(value("return_to_work_by_3m"))
    by_12m = float(value("return_to_work_by_12m"))
    u = rng.random(n)
    rtw_day = np.where(
        u < by_3m,
        rnd.uniform_days(rng, 28, 91, n),
        np.where(u < by_12m, rnd.uniform_days(rng, 92, 365, n), 10_000),
    )
    part_time = rng.random(n) < 0.3
    not_back = rnd.categorical(
        rng, {"sick_leave": 0.6, "disability_pension": 0.25, "unemployed": 0.15}, n
    )
    frames = []
    for check in (91, 365):
        recorded = t.surgery + check
        idx = np.flatnonzero(employed & (recorded <= as_of_day))
        back = rtw_day[idx] <= check
        status = np.where(
            back,
            np.where(part_time[idx], "working_part_time", "working_full_time"),
            np.where(check == 91, "sick_leave", not_back[idx]),
        )
        frames.append(
            pd.DataFrame(
                {
                    "episode_id": idx + 1,
                    "recorded_on": to_dates(recorded[idx]),
                    "work_status": status,
                    "returned_on": to_dates(np.where(back, t.surgery[idx] + rtw_day[idx], NAN)),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).sort_values(
        ["episode_id", "recorded_on"], kind="stable"
    )
    return _with_id(out, "work_record_id")


def _days(dates: pd.Series) -> NDArray[np.int64]:
    return np.asarray(
        (dates.to_numpy().astype("datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(
            np.int64
        )
    )
