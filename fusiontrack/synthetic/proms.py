"""Questionnaire visits and item-level answers (ODI, NRS, EQ-5D-5L, COMI back).

Each patient has latent trajectories: a baseline ODI and back/leg pain, and a 12-month change
drawn around the published means, shaped over time by ``trajectory_fraction_of_12m_change``.
Items are then drawn around each visit's latent score, so the scores the core computes from the
answers land near the cited figures without the generator knowing any scoring rule.

Due dates and windows come from the core's default schedule (``core.schedule``), so the
registry's FollowUp rows and ``assign_timepoint`` agree with the cohort. Follow-up visits are
missed at random given smoking, age and a per-patient tendency (logistic
model, intercept calibrated per time point to ``missed_by_timepoint``): attrition-aware
analytics have something real to find, and the parameters are known to test against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.core.schedule import DEFAULT_SCHEDULE
from fusiontrack.synthetic import _random as rnd
from fusiontrack.synthetic.parameters import value
from fusiontrack.synthetic.pathway import Timeline, _with_id
from fusiontrack.synthetic.people import Characteristics, to_dates
from fusiontrack.synthetic.surgery import Surgery

NAN = np.nan
FOLLOW_UPS = ("6w", "3m", "6m", "12m", "24m")
TIMEPOINTS = ("baseline", *FOLLOW_UPS)
INSTRUMENTS = ("odi", "nrs", "eq5d5l", "comi_back")
ITEMS: dict[str, tuple[str, ...]] = {
    "odi": tuple(f"odi_{i}" for i in range(1, 11)),
    "nrs": ("nrs_back", "nrs_leg"),
    "eq5d5l": ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad", "eq5d_vas"),
    "comi_back": (
        "comi_back_pain",
        "comi_leg_pain",
        "comi_function",
        "comi_wellbeing",
        "comi_qol",
        "comi_social",
        "comi_work",
    ),
}


@dataclass
class Trajectories:
    """Per-patient latent baselines and 12-month changes."""

    odi_base: NDArray[np.float64]
    odi_change_12m: NDArray[np.float64]
    back_base: NDArray[np.float64]
    back_change_12m: NDArray[np.float64]
    leg_base: NDArray[np.float64]
    leg_change_12m: NDArray[np.float64]


def draw_trajectories(seed: int, c: Characteristics, s: Surgery) -> Trajectories:
    rng = rnd.stream(seed, "trajectories")
    n = c.n
    base_mean, base_sd = value("odi_baseline_mean_sd")
    z_base = rng.standard_normal(n)
    odi_base = np.clip(base_mean + base_sd * z_base, 4, 96)

    rho = float(value("outcome_latent_correlation"))
    shared = rng.standard_normal(n)
    latent = rho * shared + np.sqrt(1 - rho**2) * rng.standard_normal((3, n))  # ODI, back, leg

    modifier = (
        np.where(c.age > 67, value("outcome_modifier_age_over_67"), 1.0)
        * np.where(c.female, 1.0, value("outcome_modifier_male"))
        * np.where(s.fused_final, 1.0, value("outcome_modifier_non_union"))
    )
    modifier = modifier / modifier.mean()  # keeps the cohort mean at the cited change
    ratio = float(value("odi_change_ratio_24m_to_12m"))

    mu, sd = value("odi_change_24m_mean_sd")
    slope = float(value("odi_change_baseline_slope"))
    visit_sd = float(value("visit_noise_sd_odi"))
    noise_var = 2 * visit_sd**2 + (slope * base_sd) ** 2
    sd_e = np.sqrt(max(sd**2 - noise_var, 1.0))
    odi_change = (mu + sd_e * latent[0] - slope * (odi_base - base_mean)) * modifier
    odi_change = _floor_calibrated(odi_base, odi_change, mu, 100.0)

    shift = float(value("nrs_dominance_shift"))
    back_shift = np.select([c.dominance == "back", c.dominance == "leg"], [shift, -shift], 0.0)
    back_base = _nrs_baseline(rng, value("nrs_back_baseline_mean_sd"), z_base, back_shift)
    leg_base = _nrs_baseline(rng, value("nrs_leg_baseline_mean_sd"), z_base, -back_shift)
    cb_mu, cb_sd = value("nrs_back_change_24m_mean_sd")
    cl_mu, cl_sd = value("nrs_leg_change_24m_mean_sd")
    back_change = _floor_calibrated(back_base, (cb_mu + cb_sd * latent[1]) * modifier, cb_mu, 10)
    leg_change = _floor_calibrated(leg_base, (cl_mu + cl_sd * latent[2]) * modifier, cl_mu, 10)
    return Trajectories(
        odi_base,
        odi_change / ratio,
        back_base,
        back_change / ratio,
        leg_base,
        leg_change / ratio,
    )


def _nrs_baseline(
    rng: np.random.Generator,
    mean_sd: tuple[float, float],
    z_odi: NDArray[np.float64],
    shift: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Baseline pain correlated (0.5) with baseline disability, moved by pain dominance."""
    mean, sd = mean_sd
    own = rng.standard_normal(len(z_odi))
    return np.clip(mean + sd * (0.5 * z_odi + np.sqrt(0.75) * own) + shift, 0, 10)


def _floor_calibrated(
    base: NDArray[np.float64], change: NDArray[np.float64], target: float, top: float
) -> NDArray[np.float64]:
    """Scale ``change`` so the mean of (clip(base + change, 0, top) − base) equals ``target``.

    Without it, patients who start low would be truncated at 0 and the cohort's mean change
    would fall short of the cited figure (see parameter ``floor_calibration``).
    """
    if not value("floor_calibration"):
        return change
    low, high = 0.5, 3.0
    for _ in range(40):
        mid = (low + high) / 2
        realised = (np.clip(base + mid * change, 0, top) - base).mean()
        low, high = (mid, high) if abs(realised) < abs(target) else (low, mid)
    return change * (low + high) / 2


def missed_intercepts(
    linear: NDArray[np.float64], targets: dict[str, float], sd_u: float
) -> dict[str, float]:
    """Per time point, the logit intercept whose population miss rate equals the target.

    The per-patient random effect u ~ N(0, sd_u) is integrated out by Gauss–Hermite quadrature,
    so the calibration is exact for the sample's covariates and needs no simulation.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(24)
    weights = weights / weights.sum()
    # 1,000 quantiles stand in for the sample: same mean probability to ~1e-4, 100× faster.
    linear = np.quantile(linear, (np.arange(1000) + 0.5) / 1000) if len(linear) else linear
    out = {}
    for tp, target in targets.items():
        low, high = -20.0, 20.0
        for _ in range(60):
            mid = (low + high) / 2
            p = rnd.sigmoid(mid + linear[:, None] + sd_u * nodes[None, :]) @ weights
            low, high = (mid, high) if p.mean() < target else (low, mid)
        out[tp] = (low + high) / 2
    return out


def missed_linear_predictor(c: Characteristics) -> NDArray[np.float64]:
    """Smokers and younger patients miss more follow-ups (Kaur 2023, see parameters)."""
    return (
        np.log(float(value("missed_smoker_odds_ratio"))) * c.smoker
        + float(value("missed_age_log_odds_per_decade")) * (c.age - 60.0) / 10.0
    )


def schedule_days(surgery: NDArray[np.int64]) -> dict[str, tuple[NDArray[np.int64], ...]]:
    """(due, window opens, window closes) per time point, as day numbers, from the core's
    default schedule (calendar months, so the registry's FollowUp rows agree exactly)."""
    surgery_dates = pd.Series(pd.to_datetime(surgery, unit="D"))
    out = {}
    for tp in DEFAULT_SCHEDULE.timepoints:
        due_dates = surgery_dates + pd.DateOffset(months=tp.target.months, days=tp.target.days)
        due = _day_numbers(due_dates)
        out[tp.code] = (due, due - tp.opens_days_before, due + tp.closes_days_after)
    return out


def visits_table(
    seed: int, c: Characteristics, t: Timeline, s: Surgery, as_of_day: int
) -> pd.DataFrame:
    """One row per episode and time point once a surgery date is planned (the registry creates
    its FollowUp rows then), with the visit's status as of ``as_of``."""
    rng = rnd.stream(seed, "visits")
    n = c.n
    planned = ~t.withdrawn & (t.decision <= as_of_day) & ~s.died
    windows = schedule_days(t.surgery)

    lo_b, hi_b = value("baseline_days_before_surgery")
    baseline_day = t.surgery - rnd.uniform_days(rng, lo_b, hi_b, n)
    baseline_missing = rng.random(n) < value("baseline_missing")
    due, opens, closes = windows["baseline"]
    status = np.select(
        [
            ~baseline_missing & (baseline_day <= as_of_day),
            opens > as_of_day,
            baseline_missing & (closes < as_of_day),
        ],
        ["completed", "not_due", "missed"],
        "pending",
    )
    frames = [
        _visit_frame(np.flatnonzero(planned), "baseline", due, status, baseline_day, opens, closes)
    ]

    linear = missed_linear_predictor(c)
    sd_u = float(value("missed_patient_random_effect_sd"))
    intercepts = missed_intercepts(linear[s.followed], value("missed_by_timepoint"), sd_u)
    u = rng.normal(0.0, sd_u, n)
    delays = value("response_delay_days")
    for tp in FOLLOW_UPS:
        due, opens, closes = windows[tp]
        lo, hi = delays[tp]
        missed = rng.random(n) < rnd.sigmoid(intercepts[tp] + linear + u)
        responded = due + rnd.uniform_days(rng, lo, hi, n)
        status = np.select(
            [
                opens > as_of_day,
                missed & (closes < as_of_day),
                ~missed & (responded <= as_of_day),
            ],
            ["not_due", "missed", "completed"],
            "pending",
        )
        frames.append(
            _visit_frame(np.flatnonzero(planned), tp, due, status, responded, opens, closes)
        )
    out = pd.concat(frames, ignore_index=True)
    order = out["timepoint"].map({tp: i for i, tp in enumerate(TIMEPOINTS)})
    out = out.assign(_order=order).sort_values(["episode_id", "_order"], kind="stable")
    out = out.drop(columns="_order")
    out["entry_mode"] = np.where(
        out["status"] == "completed",
        rnd.categorical(rng, value("entry_mode_mix"), len(out)),
        "",
    )
    return _with_id(out, "visit_id")


def _day_numbers(dates: pd.Series) -> NDArray[np.int64]:
    values = dates.to_numpy().astype("datetime64[D]")
    return np.asarray((values - np.datetime64("1970-01-01", "D")).astype(np.int64))


def _visit_frame(
    idx: NDArray[np.int64],
    tp: str,
    due: NDArray[np.int64],
    status: NDArray[np.str_],
    responded: NDArray[np.int64],
    opens: NDArray[np.int64],
    closes: NDArray[np.int64],
) -> pd.DataFrame:
    done = status == "completed"
    return pd.DataFrame(
        {
            "episode_id": idx + 1,
            "timepoint": tp,
            "due_on": to_dates(due[idx]),
            "window_opens_on": to_dates(opens[idx]),
            "window_closes_on": to_dates(closes[idx]),
            "status": status[idx],
            "responded_on": to_dates(np.where(done, responded, NAN)[idx]),
        }
    )


def responses_and_answers(
    seed: int, c: Characteristics, traj: Trajectories, visits: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """One response per instrument of every completed visit, and the answers per instrument."""
    rng = rnd.stream(seed, "answers")
    done = visits[visits["status"] == "completed"].reset_index(drop=True)
    items = _visit_items(rng, traj, done)
    schedule = value("instrument_schedule")
    parts = []
    for rank, instrument in enumerate(INSTRUMENTS):
        wanted = done["timepoint"].map(lambda tp, inst=instrument: inst in schedule[tp])
        rows = np.flatnonzero(wanted.to_numpy())
        parts.append(pd.DataFrame({"row": rows, "rank": rank, "instrument": instrument}))
    index = pd.concat(parts, ignore_index=True).sort_values(["row", "rank"], kind="stable")
    rows = index["row"].to_numpy()
    responses = pd.DataFrame(
        {
            "patient_id": done["episode_id"].to_numpy()[rows],
            "episode_id": done["episode_id"].to_numpy()[rows],
            "visit_id": done["visit_id"].to_numpy()[rows],
            "instrument": index["instrument"].to_numpy(),
            "timepoint": done["timepoint"].to_numpy()[rows],
            "responded_on": done["responded_on"].to_numpy()[rows],
            "entry_mode": done["entry_mode"].to_numpy()[rows],
        }
    )
    responses = _with_id(responses, "response_id")
    answers = {}
    for instrument in INSTRUMENTS:
        mask = responses["instrument"].to_numpy() == instrument
        frame = items.loc[rows[mask], list(ITEMS[instrument])].reset_index(drop=True)
        frame.index = pd.Index(responses["response_id"].to_numpy()[mask], name="response_id")
        answers[instrument] = frame
    return responses, answers


def _visit_items(rng: np.random.Generator, traj: Trajectories, done: pd.DataFrame) -> pd.DataFrame:
    """Every item of every instrument at every completed visit (instruments not asked at a
    visit are generated and dropped, which keeps the draws aligned and vectorised)."""
    m = len(done)
    patient = done["episode_id"].to_numpy() - 1
    fractions = {"baseline": 0.0, **value("trajectory_fraction_of_12m_change")}
    frac = done["timepoint"].map(fractions).to_numpy(dtype=float)
    follow_up = (done["timepoint"] != "baseline").to_numpy()

    noise = rng.normal(0.0, float(value("visit_noise_sd_odi")), m) * follow_up
    odi = np.clip(traj.odi_base[patient] + frac * traj.odi_change_12m[patient] + noise, 0, 100)
    back = _nrs(rng, traj.back_base[patient] + frac * traj.back_change_12m[patient], follow_up)
    leg = _nrs(rng, traj.leg_base[patient] + frac * traj.leg_change_12m[patient], follow_up)

    out: dict[str, NDArray[np.float64]] = {}
    odi_items = _odi_items(rng, odi)
    odi_items[rng.random(m) < value("odi_section8_skipped"), 7] = NAN
    for j in range(10):
        out[f"odi_{j + 1}"] = odi_items[:, j]
    out["nrs_back"], out["nrs_leg"] = back, leg

    for dim, weight in value("eq5d_dimension_weights").items():
        raw = 1 + 4 * odi / 100 * weight + rng.normal(0.0, 0.6, m)
        out[f"eq5d_{dim}"] = np.clip(np.round(raw), 1, 5)
    vas_a, vas_b, vas_sd = value("eq5d_vas_from_odi")
    out["eq5d_vas"] = np.clip(np.round(vas_a + vas_b * odi + rng.normal(0.0, vas_sd, m)), 0, 100)

    out["comi_back_pain"], out["comi_leg_pain"] = back, leg
    for item, offset in value("comi_item_offsets").items():
        raw = odi / 22.0 + offset + rng.normal(0.0, 0.6, m)
        out[f"comi_{item}"] = np.clip(np.round(raw), 0, 4) * 2.5  # answer values 0, 2.5 … 10
    return pd.DataFrame(out)


def _odi_items(rng: np.random.Generator, odi: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ten section scores (0–5) around the latent ODI whose sum is exactly round(ODI / 2).

    Independent rounding and clipping at 0 would bias low scores upwards; instead the rounded
    sections are nudged one step at a time, where the unrounded level is furthest off, until
    they add up (at most 50 passes, vectorised over rows).
    """
    m = len(odi)
    offsets = np.asarray(value("odi_item_offsets"), dtype=float)
    level = odi[:, None] / 20.0 + (offsets - offsets.mean())[None, :]
    level = level + rng.normal(0.0, 0.6, (m, 10))
    items = np.clip(np.round(level), 0, 5)
    target = np.round(odi / 2.0)
    rows = np.arange(m)
    for _ in range(50):
        gap = target - items.sum(axis=1)
        if not gap.any():
            break
        residual = level - items
        up = np.where(items < 5, residual, -np.inf).argmax(axis=1)
        down = np.where(items > 0, residual, np.inf).argmin(axis=1)
        items[rows[gap > 0], up[gap > 0]] += 1
        items[rows[gap < 0], down[gap < 0]] -= 1
    return items


def _nrs(
    rng: np.random.Generator, latent: NDArray[np.float64], follow_up: NDArray[np.bool_]
) -> NDArray[np.float64]:
    noise_sd = float(value("visit_noise_sd_nrs"))
    noisy = latent + rng.normal(0.0, noise_sd, len(latent)) * follow_up
    return np.clip(np.round(noisy), 0, 10)
