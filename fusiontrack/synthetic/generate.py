"""``generate_cohort``: the one entry point that assembles the synthetic registry."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fusiontrack.synthetic import pathway, people, proms, surgery
from fusiontrack.synthetic.cohort import Cohort
from fusiontrack.synthetic.people import EPOCH, Characteristics, to_dates

NAN = np.nan
DEFAULT_SEED = 20261124
STAGES = (
    "evaluation",
    "conservative_care",
    "surgical_decision",
    "preparation",
    "surgery",
    "recovery",
    "follow_up_complete",
    "withdrawn",
)


def generate_cohort(
    n_patients: int = 400,
    n_sites: int = 2,
    n_surgeons: int = 4,
    *,
    seed: int = DEFAULT_SEED,
    as_of: date,
) -> Cohort:
    """A deterministic synthetic cohort of ``n_patients`` fusion episodes as of ``as_of``.

    Same arguments, same cohort (``Cohort.digest()`` is stable). Distributions and their
    sources are in ``fusiontrack.synthetic.parameters``. Vectorised: 100,000 patients take
    seconds, not minutes.
    """
    if n_patients < 1 or n_sites < 1 or n_surgeons < n_sites:
        raise ValueError(
            "need at least one patient, one site and one surgeon per site "
            f"(got {n_patients} patients, {n_sites} sites, {n_surgeons} surgeons)"
        )
    as_of_day = int((np.datetime64(as_of, "D") - EPOCH).astype(np.int64))
    sites = people.make_sites(n_sites)
    surgeons = people.make_surgeons(seed, n_surgeons, n_sites)
    c = people.draw_characteristics(seed, n_patients, surgeons, as_of_day)
    t = pathway.draw_timeline(seed, c)
    s = surgery.draw_surgery(seed, c, t, as_of_day)
    fusion = surgery.fusion_table(seed, t, s, as_of_day)
    events = surgery.draw_events(seed, c, t, s, fusion, as_of_day)
    visits = proms.visits_table(seed, c, t, s, as_of_day)
    trajectories = proms.draw_trajectories(seed, c, s)
    responses, answers = proms.responses_and_answers(seed, c, trajectories, visits)
    episodes, stage_events = _episodes(c, t, s, visits, as_of_day)
    return Cohort(
        seed=seed,
        as_of=as_of,
        sites=sites,
        surgeons=surgeons,
        patients=people.patients_table(seed, c, as_of_day),
        episodes=episodes,
        stage_events=stage_events,
        diagnoses=pathway.diagnoses_table(c, t),
        imaging=pathway.imaging_table(seed, c, t, as_of_day),
        conservative_care=pathway.conservative_care_table(seed, c, t, as_of_day),
        decisions=pathway.decisions_table(seed, c, t, as_of_day),
        preop=pathway.preop_table(seed, c, t, as_of_day),
        operations=surgery.operations_table(seed, c, t, s, events.durotomy),
        stays=surgery.stays_table(seed, t, s, as_of_day),
        complications=events.complications,
        reoperations=events.reoperations,
        fusion_assessments=fusion.drop(columns="timepoint"),
        return_to_work=surgery.return_to_work_table(seed, c, t, s, as_of_day),
        visits=visits,
        responses=responses,
        answers=answers,
    )


def _episodes(
    c: Characteristics,
    t: pathway.Timeline,
    s: surgery.Surgery,
    visits: pd.DataFrame,
    as_of_day: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Episodes with their current stage, and the dated history of stages reached."""
    n = c.n
    last = visits[visits["timepoint"] == "24m"]
    complete = np.full(n, NAN)
    done_day = _day_numbers(last["responded_on"].fillna(last["window_closes_on"]))
    final = last["status"].isin(["completed", "missed"]).to_numpy()
    complete[last["episode_id"].to_numpy()[final] - 1] = done_day[final]
    operated = s.operated
    planned = operated | (~t.withdrawn & (t.decision <= as_of_day))
    stop = np.where(s.died, s.death_day, t.withdrawal)
    dates = np.column_stack(
        [
            t.first_visit,
            t.conservative_start,
            t.decision,
            t.preparation,
            np.where(operated, t.surgery, NAN),
            np.where(operated & ~s.died, t.surgery + s.los, NAN),
            complete,
            stop,
        ]
    ).astype(float)
    ended = ~np.isnan(stop)
    before_end = ~ended[:, None] | (dates[:, :-1] < stop[:, None])
    dates[:, :-1] = np.where(before_end, dates[:, :-1], NAN)
    dates[dates > as_of_day] = NAN
    reached = ~np.isnan(dates)
    rows, cols = np.nonzero(reached)
    stage_events = pd.DataFrame(
        {
            "episode_id": rows + 1,
            "stage": np.asarray(STAGES, dtype=object)[cols],
            "entered_on": to_dates(dates[rows, cols]),
            "note": np.where(
                (cols == len(STAGES) - 1) & s.died[rows], "Died in hospital (synthetic).", ""
            ),
        }
    )
    stage_events.insert(0, "stage_event_id", np.arange(1, len(stage_events) + 1))
    current = reached.shape[1] - 1 - np.argmax(reached[:, ::-1], axis=1)
    withdrawn_reason = np.where(
        s.died,
        "Died in hospital after surgery (synthetic).",
        np.where(t.withdrawn, "Improved with conservative care; surgery declined.", ""),
    )
    withdrawn_reason = np.where(current == len(STAGES) - 1, withdrawn_reason, "")
    title = [
        f"{lv.replace('-', '–')} {surgery.APPROACH_LABELS[ap]}"
        for lv, ap in zip(t.levels, s.approach, strict=True)
    ]
    episodes = pd.DataFrame(
        {
            "episode_id": np.arange(1, n + 1),
            "patient_id": np.arange(1, n + 1),
            "site_id": c.site_id,
            "title": title,
            "stage": np.asarray(STAGES, dtype=object)[current],
            "stage_entered_on": to_dates(dates[np.arange(n), current]),
            "opened_on": to_dates(t.first_visit),
            "surgery_date": to_dates(np.where(operated, t.surgery, NAN)),
            "planned_surgery_date": to_dates(np.where(planned, t.surgery, NAN)),
            "surgeon_id": c.surgeon_id,
            "withdrawn_reason": withdrawn_reason,
        }
    )
    return episodes, stage_events


def _day_numbers(dates: pd.Series) -> NDArray[np.float64]:
    values = dates.to_numpy().astype("datetime64[D]")
    return np.asarray((values - EPOCH).astype(np.int64), dtype=float)
