"""The dashboard's tables, computed from a loaded cohort with the statistics core.

Every table is a `Table` (title, pandas frame, note, which columns are counts) so the same object
feeds the web page, the CSV download, the PDF and the researcher's suppression. Definitions that
are reporting choices (not clinical facts) are stated in each table's note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fusiontrack.core import vocab
from fusiontrack.core.outcomes import MEASURES, classify_change_batch
from fusiontrack.core.schedule import DEFAULT_SCHEDULE
from fusiontrack.core.stats import (
    DAYS_PER_MONTH,
    KaplanMeier,
    column_changes,
    column_means,
    durations_from_dates,
    wilson_proportion,
)
from fusiontrack.insight.queries import CohortData, days_after_surgery

FOLLOW_UPS = ("6w", "3m", "6m", "12m", "24m")
THRESHOLD_TIMEPOINTS = ("3m", "12m", "24m")
THRESHOLD_KINDS = {"mcid": "MCID", "scb": "SCB", "pass_": "PASS"}
MEASURE_ORDER = ("odi", "nrs_back", "nrs_leg", "eq5d5l_index", "eq5d_vas", "comi")
KM_TIMES = (3.0, 12.0, 24.0)
#: Readmission and reoperation windows after the index operation (ASR reports 30 and 90 days,
#: shared/notes/anchors.md [ASR1]).
EVENT_WINDOWS = (30, 90)
#: A fusion assessment counts as the "12-month" one when taken 9–15 months after surgery
#: (the 12-month follow-up window of the default schedule); the latest such assessment is used.
FUSION_WINDOW_DAYS = (273, 456)
#: Return to work at 3 and 12 months = returned_on within 91 / 365 days of surgery, among
#: patients with a work record who were that far from surgery at `as_of`.
WORK_CHECKS = {"3m": 91, "12m": 365}
TP_LABELS = dict(vocab.TIMEPOINTS)


@dataclass
class Table:
    """One table or chart's numbers."""

    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""
    counts: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()


@dataclass
class Dashboard:
    """Everything the dashboard shows for one cohort."""

    n_episodes: int
    n_patients: int
    tables: dict[str, Table] = field(default_factory=dict)
    km_curves: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: Plain-language account of the 12-month IPW estimate ("" when it could not be fitted).
    attrition_explanation: str = ""

    def add(self, table: Table) -> None:
        self.tables[table.key] = table


def window_close_days(timepoint: str) -> float:
    """Days after surgery when a time point's window closes (calendar months as 30.44 days)."""
    tp = next(t for t in DEFAULT_SCHEDULE.timepoints if t.code == timepoint)
    return tp.target.months * DAYS_PER_MONTH + tp.target.days + tp.closes_days_after


def measures_present(data: CohortData) -> list[str]:
    wide = data.wide_all
    if wide.empty:
        return []
    answered = wide.notna().to_numpy().any(axis=0)
    present = set(wide.columns.get_level_values(0)[answered])
    ordered = [mm for mm in MEASURE_ORDER if mm in present]
    return ordered + sorted(mm for mm in present if mm in MEASURES and mm not in ordered)


def build_dashboard(data: CohortData, *, models: bool = True) -> Dashboard:
    """All dashboard tables for ``data`` (KM curves kept separately for the charts); the
    attrition models (IPW) only with ``models`` (they take seconds on a large registry)."""
    episodes = data.episodes
    board = Dashboard(len(episodes), int(episodes["patient_id"].nunique()))
    board.add(cohort_description(data))
    measures = measures_present(data)
    board.add(score_means(data, measures))
    board.add(score_changes(data, measures))
    board.add(threshold_rates(data, measures))
    board.add(completeness(data))
    if models:
        from fusiontrack.insight.attrition import attrition_tables  # uses this module's helpers

        ipw, responders, board.attrition_explanation = attrition_tables(data)
        board.add(ipw)
        board.add(responders)
    board.add(complications_by_category(data))
    board.add(complications_by_grade(data))
    board.add(early_events(data))
    km_table, curves = survival(data)
    board.add(km_table)
    board.km_curves = curves
    board.add(
        Table(
            "survival_curve",
            "Kaplan–Meier curves month by month (the survival chart's numbers)",
            pd.concat([c.assign(curve=k) for k, c in curves.items()], ignore_index=True)
            if curves
            else pd.DataFrame(columns=["months", "survival", "lower", "upper", "at_risk", "curve"]),
            counts=("at_risk",),
            derived=("survival", "lower", "upper"),
        )
    )
    board.add(fusion_rate(data))
    board.add(length_of_stay(data))
    board.add(return_to_work(data))
    return board


# --- cohort description --------------------------------------------------------------------------


def cohort_description(data: CohortData) -> Table:
    ep = data.episodes
    n = len(ep)
    rows: list[dict[str, object]] = []

    def counts(column: str, label: str, choices: vocab.Choices | None) -> None:
        names = dict(choices) if choices else {}
        tally = ep[column].value_counts(dropna=False)
        blank = tally.index.isna() | (tally.index == "")
        values = tally[~blank]
        if blank.any():
            values = pd.concat([values, pd.Series({"not recorded": int(tally[blank].sum())})])
        values.index = values.index.astype(str)
        for level, count in values.sort_index().items():
            rows.append(
                {
                    "variable": label,
                    "level": names.get(str(level), str(level)),
                    "n": int(count),
                    "percent": 100.0 * count / n if n else np.nan,
                }
            )

    age = ep["age"].astype(float)
    rows.append(
        {
            "variable": "Age at surgery, mean",
            "level": "years",
            "n": int(age.notna().sum()),
            "percent": np.nan,
            "value": age.mean(),
        }
    )
    bmi = ep["bmi"].astype(float)
    rows.append(
        {
            "variable": "BMI, mean",
            "level": "kg/m²",
            "n": int(bmi.notna().sum()),
            "percent": np.nan,
            "value": bmi.mean(),
        }
    )
    counts("sex", "Sex", vocab.SEX)
    counts("diagnosis", "Primary diagnosis", vocab.DIAGNOSES)
    counts("approach", "Approach", vocab.APPROACHES)
    counts("levels", "Levels", vocab.LEVELS)
    counts("smoking", "Smoking", vocab.SMOKING_STATUS)
    counts("asa", "ASA class", vocab.ASA_CLASSES)
    frame = pd.DataFrame(rows, columns=["variable", "level", "n", "percent", "value"])
    return Table(
        "cohort",
        "Cohort description",
        frame,
        f"{n} operated episodes, {int(ep['patient_id'].nunique())} patients.",
        counts=("n",),
        derived=("percent", "value"),
    )


# --- patient-reported outcomes ------------------------------------------------------------------


def score_means(data: CohortData, measures: list[str]) -> Table:
    wide = data.wide_all
    columns = [c for c in wide.columns if c[0] in set(measures)] if not wide.empty else []
    frame = column_means(wide[columns]) if columns else pd.DataFrame()
    if frame.empty:
        frame = pd.DataFrame(columns=["measure", "timepoint", "n", "mean", "sd", "lower", "upper"])
    else:
        frame.index = frame.index.set_names(["measure", "timepoint"])
        frame = frame.reset_index()
    frame = _order(frame)
    return Table(
        "means",
        "Mean score at each time point (95 % CI, t interval)",
        frame[["measure", "timepoint", "n", "mean", "sd", "lower", "upper"]],
        "All answers at each time point; patients differ between time points.",
        counts=("n",),
        derived=("mean", "sd", "lower", "upper"),
    )


def score_changes(data: CohortData, measures: list[str]) -> Table:
    """Paired change per measure and time point with the core's paired t interval, by column
    reductions of each measure's wide table (core ``column_changes``)."""
    columns = [
        "measure",
        "timepoint",
        "n",
        "baseline_mean",
        "follow_up_mean",
        "mean_change",
        "lower",
        "upper",
    ]
    parts = []
    for measure in measures:
        wide = data.wide(measure)
        follow = [tp for tp in FOLLOW_UPS if tp in wide]
        if "baseline" not in wide or not follow:
            continue
        table = column_changes(wide["baseline"], wide[follow])
        parts.append(table.assign(measure=measure, timepoint=table.index))
    frame = pd.DataFrame(columns=columns)
    if parts:
        joined = pd.concat(parts, ignore_index=True).rename(columns={"mean": "mean_change"})
        frame = _order(joined)[columns]
    return Table(
        "changes",
        "Change from baseline (follow-up − baseline; 95 % CI, paired t)",
        frame,
        "Patients with both a baseline and a follow-up score (n = pairs).",
        counts=("n",),
        derived=("baseline_mean", "follow_up_mean", "mean_change", "lower", "upper"),
    )


def due_mask(data: CohortData, timepoint: str) -> pd.Series:
    """Episodes whose time point window had closed by ``as_of``."""
    return data.days_since_surgery() >= window_close_days(timepoint)


def episode_flags(data: CohortData, measure: str, timepoint: str) -> pd.DataFrame:
    """MCID / SCB / PASS reached (bool) and defined (``<kind>_known``) for every episode with
    both a baseline and a ``timepoint`` score of ``measure``, indexed by episode.

    Why cached: a pair's classification does not depend on the filter, so it is computed once
    on the whole snapshot (``data.derived`` is shared by every filtered sub-cohort) instead of
    once per request; the classifier's per-call conversions dominated a warm dashboard.
    """
    key = ("threshold_flags", measure, timepoint)
    cached = data.derived.get(key)
    if cached is not None:
        return cached
    columns = [c for kind in THRESHOLD_KINDS for c in (kind, f"{kind}_known")]
    root = data.root_wide  # the whole snapshot: the cache is shared by every sub-cohort
    table = root[measure] if measure in root.columns.get_level_values(0) else pd.DataFrame()
    if "baseline" not in table or timepoint not in table:
        frame = pd.DataFrame({c: pd.Series(dtype=bool) for c in columns})
    else:
        both = (table["baseline"].notna() & table[timepoint].notna()).to_numpy()
        flags = classify_change_batch(measure, table["baseline"][both], table[timepoint][both])
        frame = pd.DataFrame(
            {
                c: (
                    flags[c].fillna(False).to_numpy(bool)
                    if not c.endswith("_known")
                    else flags[c.removesuffix("_known")].notna().to_numpy()
                )
                for c in columns
            },
            index=table.index[both],
        )
    data.derived[key] = frame
    return frame


def threshold_rates(data: CohortData, measures: list[str]) -> Table:
    """% reaching MCID / SCB / PASS with numbers reaching, answering and eligible.

    Eligible: a baseline score for the measure and the time point's window closed by as_of, or
    the time point answered. Answering: eligible with a score at the time point.
    """
    rows = []
    for measure in measures:
        wide = data.wide(measure)
        if "baseline" not in wide:
            continue
        for tp in THRESHOLD_TIMEPOINTS:
            follow = wide[tp] if tp in wide else pd.Series(np.nan, index=wide.index)
            eligible = wide["baseline"].notna() & (due_mask(data, tp) | follow.notna())
            n_eligible = int(eligible.sum())
            if not n_eligible:
                continue
            answered_ids = follow.index[(eligible & follow.notna()).to_numpy()]
            every = episode_flags(data, measure, tp)  # the whole snapshot's pairs
            flags = every.reindex(answered_ids, fill_value=False)
            for kind, label in THRESHOLD_KINDS.items():
                if len(every) and not every[f"{kind}_known"].any():
                    continue  # no published threshold of this kind for the measure
                n_known = int(flags[f"{kind}_known"].sum())
                reached = int((flags[kind] & flags[f"{kind}_known"]).sum())
                p = wilson_proportion(reached, n_known, n_eligible)
                rows.append(
                    {
                        "measure": measure,
                        "timepoint": tp,
                        "threshold": label,
                        "n_reaching": reached,
                        "n_answering": n_known,
                        "n_eligible": n_eligible,
                        "proportion": p.proportion,
                        "lower": p.lower,
                        "upper": p.upper,
                    }
                )
    columns = [
        "measure",
        "timepoint",
        "threshold",
        "n_reaching",
        "n_answering",
        "n_eligible",
        "proportion",
        "lower",
        "upper",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    if rows:
        frame = _order(frame)
    return Table(
        "thresholds",
        "Patients reaching MCID / SCB / PASS (95 % Wilson CI)",
        frame,
        "Thresholds and their citations: fusiontrack.core.outcomes (default threshold set). "
        "Eligible = baseline answered and the time point's window closed (or answered); "
        "the percentage is of those answering. Thresholds without a published value for a "
        "measure are left out.",
        counts=("n_reaching", "n_answering", "n_eligible"),
        derived=("proportion", "lower", "upper"),
    )


def _answered_by_timepoint(wide: pd.DataFrame) -> pd.DataFrame:
    """Episode × time point: any measure answered (numpy ``any`` over each time point's
    columns; transposing and grouping a 100,000-row frame took a tenth of the dashboard)."""
    if wide.empty or wide.columns.nlevels < 2:
        return pd.DataFrame(index=wide.index)
    present = wide.notna().to_numpy()
    timepoints = wide.columns.get_level_values(1)
    return pd.DataFrame(
        {tp: present[:, np.asarray(timepoints == tp)].any(axis=1) for tp in timepoints.unique()},
        index=wide.index,
    )


def completeness(data: CohortData) -> Table:
    """Follow-up completeness per time point and site: any score at the time point."""
    wide = data.wide_all.reindex(data.episodes.index)
    answered_by_tp = _answered_by_timepoint(wide)
    rows = []
    for tp in ("baseline", *FOLLOW_UPS):
        got = (
            answered_by_tp[tp]
            if tp in answered_by_tp
            else pd.Series(False, index=data.episodes.index)
        )
        # Closed windows only: counting early answers from still-open windows would inflate
        # completeness (their not-yet-answered peers are not counted).
        due = due_mask(data, tp) if tp != "baseline" else got | True
        frame = pd.DataFrame({"site": data.episodes["site"], "answered": got})[due]
        for site, group in [("all sites", frame), *frame.groupby("site")]:
            n_due, n_ans = len(group), int(group["answered"].sum())
            rows.append(
                {
                    "timepoint": tp,
                    "site": site,
                    "n_eligible": n_due,
                    "n_answered": n_ans,
                    "percent": 100.0 * n_ans / n_due if n_due else np.nan,
                }
            )
    return Table(
        "completeness",
        "Follow-up completeness per time point and site",
        pd.DataFrame(rows, columns=["timepoint", "site", "n_eligible", "n_answered", "percent"]),
        "Eligible = operated and the time point's window closed by the report date (early "
        "answers from open windows wait until it closes); answered = any questionnaire at that "
        "time point.",
        counts=("n_eligible", "n_answered"),
        derived=("percent",),
    )


# --- complications and events ------------------------------------------------------------------


def complications_by_category(data: CohortData) -> Table:
    n = len(data.episodes)
    comp = data.complications.drop_duplicates(["episode_id", "category"])
    counts = comp["category"].value_counts()
    any_n = int(data.complications["episode_id"].nunique())
    rows = [
        {
            "category": "Any complication",
            "n_patients": any_n,
            "percent": 100.0 * any_n / n if n else np.nan,
        }
    ]
    for code, label in vocab.COMPLICATION_CATEGORIES:
        k = int(counts.get(code, 0))
        rows.append({"category": label, "n_patients": k, "percent": 100.0 * k / n if n else np.nan})
    return Table(
        "complications",
        "Complications by category (patients with at least one)",
        pd.DataFrame(rows),
        f"Percent of {n} operated episodes; clinician- and patient-reported together.",
        counts=("n_patients",),
        derived=("percent",),
    )


def complications_by_grade(data: CohortData) -> Table:
    n = len(data.episodes)
    comp = data.complications
    worst = (
        comp.assign(
            rank=comp["clavien_dindo"].map(
                {g: i for i, (g, _) in enumerate(vocab.CLAVIEN_DINDO_GRADES)}
            )
        )
        .sort_values("rank")
        .drop_duplicates("episode_id", keep="last")
    )
    counts = worst["clavien_dindo"].value_counts()
    rows = [
        {
            "grade": code,
            "description": label,
            "n_patients": int(counts.get(code, 0)),
            "percent": 100.0 * int(counts.get(code, 0)) / n if n else np.nan,
        }
        for code, label in vocab.CLAVIEN_DINDO_GRADES
    ]
    return Table(
        "clavien_dindo",
        "Worst Clavien–Dindo grade per patient (Dindo 2004, Ann Surg 240:205)",
        pd.DataFrame(rows),
        f"Percent of {n} operated episodes.",
        counts=("n_patients",),
        derived=("percent",),
    )


def early_events(data: CohortData) -> Table:
    """30- and 90-day readmission and reoperation, among episodes operated ≥ window days ago."""
    ep = data.episodes
    since = (pd.Timestamp(data.as_of) - ep["surgery_date"]).dt.days
    readm = data.complications[data.complications["category"] == "readmission"]
    readm_days = days_after_surgery(data, readm, "occurred_on")
    reop_days = days_after_surgery(data, data.reoperations, "reoperation_date")
    rows = []
    for label, frame, days in (
        ("Readmission", readm, readm_days),
        ("Reoperation", data.reoperations, reop_days),
    ):
        for window in EVENT_WINDOWS:
            eligible = (since >= window).to_numpy()
            early = frame.loc[((days >= 0) & (days <= window)).to_numpy(), "episode_id"]
            hit = ep.index.isin(early.unique()) & eligible
            n_hit, n_eligible = int(hit.sum()), int(eligible.sum())
            p = wilson_proportion(n_hit, n_eligible, n_eligible)
            rows.append(
                {
                    "event": label,
                    "within_days": window,
                    "n_events": n_hit,
                    "n_eligible": n_eligible,
                    "proportion": p.proportion,
                    "lower": p.lower,
                    "upper": p.upper,
                }
            )
    return Table(
        "early_events",
        "Readmission and reoperation within 30 and 90 days (95 % Wilson CI)",
        pd.DataFrame(rows),
        "Readmission = a complication recorded as 'readmission'. Eligible = operated at least "
        "that many days before the report date.",
        counts=("n_events", "n_eligible"),
        derived=("proportion", "lower", "upper"),
    )


def survival(data: CohortData) -> tuple[Table, dict[str, pd.DataFrame]]:
    """Kaplan–Meier reoperation-free and complication-free survival (months), with numbers at
    risk at 3, 12 and 24 months; censored at ``as_of``."""
    ep = data.episodes
    rows, curves = [], {}
    firsts = {
        "Reoperation-free": data.reoperations.groupby("episode_id")["reoperation_date"].min(),
        "Complication-free": data.complications.groupby("episode_id")["occurred_on"].min(),
    }
    for label, first in firsts.items():
        if ep.empty:
            continue
        durations = durations_from_dates(
            ep["surgery_date"],
            first.reindex(ep.index),
            as_of=data.as_of,
            days_per_unit=DAYS_PER_MONTH,
        )
        km = KaplanMeier(label=label).fit(durations.durations, durations.observed)
        for point in km.at(KM_TIMES).points:
            rows.append(
                {
                    "curve": label,
                    "months": point.time,
                    "survival": point.survival,
                    "lower": point.lower,
                    "upper": point.upper,
                    "at_risk": point.at_risk,
                    "events": point.events_so_far,
                }
            )
        grid = np.arange(0, 25, 1.0)
        curves[label] = pd.DataFrame(
            [
                {
                    "months": p.time,
                    "survival": p.survival,
                    "lower": p.lower,
                    "upper": p.upper,
                    "at_risk": p.at_risk,
                }
                for p in km.at(grid).points
            ]
        )
    columns = ["curve", "months", "survival", "lower", "upper", "at_risk", "events"]
    return (
        Table(
            "survival",
            "Kaplan–Meier event-free survival (95 % CI, exponential Greenwood; lifelines)",
            pd.DataFrame(rows, columns=columns),
            "Time from the index operation; censored at the report date. Complication-free "
            "counts the first complication of any category.",
            counts=("at_risk", "events"),
            derived=("survival", "lower", "upper"),
        ),
        curves,
    )


def fusion_rate(data: CohortData) -> Table:
    fusion = data.fusion
    days = days_after_surgery(data, fusion, "assessment_date")
    low, high = FUSION_WINDOW_DAYS
    at12 = fusion[(days >= low) & (days <= high)].sort_values("assessment_date")
    at12 = at12.drop_duplicates("episode_id", keep="last")
    fused = int((at12["judgement"] == "fused").sum())
    p = wilson_proportion(fused, len(at12), len(at12))
    frame = pd.DataFrame(
        [
            {
                "timepoint": "12m",
                "n_fused": fused,
                "n_assessed": len(at12),
                "n_indeterminate": int((at12["judgement"] == "indeterminate").sum()),
                "proportion": p.proportion,
                "lower": p.lower,
                "upper": p.upper,
            }
        ]
    )
    return Table(
        "fusion",
        "Radiographic fusion at 12 months (95 % Wilson CI)",
        frame,
        "Latest assessment 9–15 months after surgery; indeterminate counts as not fused.",
        counts=("n_fused", "n_assessed", "n_indeterminate"),
        derived=("proportion", "lower", "upper"),
    )


def length_of_stay(data: CohortData) -> Table:
    los = data.stays["length_of_stay_days"].dropna().astype(float)
    frame = pd.DataFrame(
        [
            {
                "n": int(los.size),
                "mean": los.mean(),
                "median": los.median(),
                "p25": los.quantile(0.25),
                "p75": los.quantile(0.75),
            }
        ]
    )
    return Table(
        "length_of_stay",
        "Length of stay (nights)",
        frame,
        "First hospital stay of the episode.",
        counts=("n",),
        derived=("mean", "median", "p25", "p75"),
    )


def return_to_work(data: CohortData) -> Table:
    work = data.work
    first = work.groupby("episode_id")["returned_on"].min()
    surgery = data.episodes["surgery_date"]
    recorded = surgery.index.isin(work["episode_id"].unique())
    since = (pd.Timestamp(data.as_of) - surgery).dt.days
    back_days = (first.reindex(surgery.index) - surgery).dt.days
    rows = []
    for tp, limit in WORK_CHECKS.items():
        eligible = recorded & (since >= limit).to_numpy()
        back = int((eligible & (back_days <= limit).to_numpy()).sum())
        p = wilson_proportion(back, int(eligible.sum()), int(eligible.sum()))
        rows.append(
            {
                "timepoint": tp,
                "n_returned": back,
                "n_eligible": int(eligible.sum()),
                "proportion": p.proportion,
                "lower": p.lower,
                "upper": p.upper,
            }
        )
    return Table(
        "return_to_work",
        "Return to work (95 % Wilson CI)",
        pd.DataFrame(rows),
        "Among patients with a work record (employed before surgery) operated at least 3 / 12 "
        "months before the report date; returned = a return date within 91 / 365 days.",
        counts=("n_returned", "n_eligible"),
        derived=("proportion", "lower", "upper"),
    )


# --- helpers ---------------------------------------------------------------------------------


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by measure (dashboard order) then time point (chronological)."""
    tp_rank = {tp: i for i, tp in enumerate(vocab.codes(vocab.TIMEPOINTS))}
    m_rank = {mm: i for i, mm in enumerate(MEASURE_ORDER)}
    keyed = frame.assign(
        _m=frame["measure"].map(lambda mm: m_rank.get(mm, 99)),
        _t=frame["timepoint"].map(tp_rank),
    )
    return (
        keyed.sort_values(["_m", "measure", "_t"]).drop(columns=["_m", "_t"]).reset_index(drop=True)
    )
