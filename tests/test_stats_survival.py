"""Kaplan–Meier against a textbook table and against lifelines; durations from dates."""

from datetime import date

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from fusiontrack.core.stats import (
    DAYS_PER_MONTH,
    KaplanMeier,
    StatsInputError,
    durations_from_dates,
)

# 6-MP arm of the Freireich et al. leukaemia remission trial (Blood 1963;21:699–716), weeks;
# relapses then censored times, as printed in Le CT, Introductory Biostatistics, Wiley 2003,
# Example 11.1.
SIX_MP_RELAPSE = [6, 6, 6, 7, 10, 13, 16, 22, 23]
SIX_MP_CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]


def _six_mp():
    durations = np.array(SIX_MP_RELAPSE + SIX_MP_CENSORED, dtype=float)
    observed = np.array([True] * len(SIX_MP_RELAPSE) + [False] * len(SIX_MP_CENSORED))
    return durations, observed


def test_kaplan_meier_against_le_2003_table_11_1():
    """Le CT. Introductory Biostatistics. Wiley 2003, Table 11.1 (product-limit estimate for
    the 6-MP group): at weeks 6, 7, 10, 13, 16, 22, 23 the numbers at risk are 21, 17, 15, 12,
    11, 7, 6 and S(t) is 0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482."""
    km = KaplanMeier(label="remission").fit(*_six_mp())
    summary = km.at([6, 7, 10, 13, 16, 22, 23])
    assert [p.at_risk for p in summary.points] == [21, 17, 15, 12, 11, 7, 6]
    assert [p.survival for p in summary.points] == pytest.approx(
        [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482], abs=5e-5
    )
    assert summary.n == 21 and summary.n_events == 9


def test_survival_between_event_times_is_the_step_before():
    """S(t) is a step function: week 9 and week 12 read the values at weeks 7 and 10."""
    summary = KaplanMeier().fit(*_six_mp()).at([0, 9, 12])
    assert [p.survival for p in summary.points] == pytest.approx([1.0, 0.8067, 0.7529], abs=5e-5)
    assert [p.at_risk for p in summary.points] == [21, 16, 12]


def test_kaplan_meier_against_lifelines_on_the_same_data():
    """Reading survival, limits and numbers at risk at arbitrary times must agree with
    lifelines' own survival_function_at_times, its confidence band and its event table."""
    rng = np.random.default_rng(21)
    durations = np.round(rng.exponential(30.0, 300), 1)
    observed = rng.random(300) < 0.4
    times = [0.0, 3.0, 12.0, 24.0, 36.5, 60.0]
    ours = KaplanMeier(confidence=0.95).fit(durations, observed).at(times)
    reference = KaplanMeierFitter().fit(durations, observed, alpha=0.05)

    expected_s = reference.survival_function_at_times(times).to_numpy()
    band = reference.confidence_interval_survival_function_
    table = reference.event_table
    for point, s in zip(ours.points, expected_s, strict=True):
        assert point.survival == pytest.approx(s, abs=1e-12)
        row = band.loc[band.index <= point.time].iloc[-1]
        assert (point.lower, point.upper) == pytest.approx(tuple(row), abs=1e-12)
        if point.time in table.index:
            assert point.at_risk == table.loc[point.time, "at_risk"]
        assert point.at_risk == int((durations >= point.time).sum())


def test_no_estimate_beyond_the_longest_follow_up():
    summary = KaplanMeier().fit(*_six_mp()).at([35, 36])
    assert summary.points[0].at_risk == 1 and summary.points[0].survival == pytest.approx(
        0.4482, abs=5e-5
    )
    assert summary.points[1].at_risk == 0 and np.isnan(summary.points[1].survival)


def test_durations_from_dates_censor_at_as_of_and_end_of_follow_up():
    """Four patients, as_of 2024-01-10:
    Ana, operated 2023-01-10, reoperated 2023-07-10 → event after 181 days;
    Ben, operated 2023-01-10, no reoperation → censored at as_of after 365 days;
    Chen, withdrew 2023-06-01, a reoperation dated later → censored at withdrawal, 142 days;
    Dora, reoperation dated after as_of → censored at as_of, 365 days."""
    result = durations_from_dates(
        ["2023-01-10"] * 4,
        ["2023-07-10", None, "2023-09-01", "2024-03-01"],
        [None, None, "2023-06-01", None],
        as_of=date(2024, 1, 10),
    )
    assert result.durations.tolist() == [181.0, 365.0, 142.0, 365.0]
    assert result.observed.tolist() == [True, False, False, False]


def test_durations_in_months():
    result = durations_from_dates(
        ["2023-01-10"], [None], as_of=date(2024, 1, 10), days_per_unit=DAYS_PER_MONTH
    )
    assert result.durations[0] == pytest.approx(365 / DAYS_PER_MONTH)


@pytest.mark.parametrize(
    ("start", "event", "message"),
    [
        (["2023-05-01"], ["2023-04-01"], "before the start"),
        (["2024-05-01"], [None], "start after as_of"),
        ([None], [None], "no start date"),
        (["not a date"], [None], "must be dates"),
    ],
)
def test_bad_dates_are_refused_with_what_to_fix(start, event, message):
    with pytest.raises(StatsInputError, match=message):
        durations_from_dates(start, event, as_of=date(2024, 1, 10))


def test_empty_cohort_is_refused():
    with pytest.raises(StatsInputError, match="no patients"):
        KaplanMeier().fit([], [])
