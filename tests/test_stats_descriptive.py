"""Means, paired changes and Wilson proportions against published and library references."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fusiontrack.core.stats import (
    StatsInputError,
    group_changes,
    group_means,
    group_proportions,
    mean_ci,
    paired_change_ci,
    proportion_reaching,
    wilson_proportion,
)


@pytest.mark.parametrize(
    ("reaching", "answering", "lower", "upper"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0000),
    ],
)
def test_wilson_interval_against_newcombe_1998_table_1(reaching, answering, lower, upper):
    """Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
    seven methods. Stat Med 1998;17:857–872, Table I, method 3 (Wilson score, no continuity
    correction), limits printed to 4 decimals."""
    result = wilson_proportion(reaching, answering, answering)
    assert result.lower == pytest.approx(lower, abs=5e-5)
    assert result.upper == pytest.approx(upper, abs=5e-5)


def test_wilson_interval_against_hand_computation():
    """Wilson 1927 formula by hand for 6 of 10, z = 1.959964:
    centre = (6 + z²/2)/(10 + z²) = 0.57396, half = z·√(10·0.6·0.4 + z²/4)/(10 + z²) = 0.26120."""
    z = 1.959963984540054
    centre = (6 + z**2 / 2) / (10 + z**2)
    half = z * np.sqrt(10 * 0.6 * 0.4 + z**2 / 4) / (10 + z**2)
    result = wilson_proportion(6, 10, 12)
    assert (result.lower, result.upper) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert (result.lower, result.upper) == pytest.approx((0.3127, 0.8318), abs=1e-4)


def test_proportion_always_carries_reaching_answering_and_eligible():
    """Eight eligible at 12 months: five answered, three of them reached the MCID."""
    result = proportion_reaching([True, False, True, None, 1, 0, np.nan, pd.NA])
    assert (result.n_reaching, result.n_answering, result.n_eligible) == (3, 5, 8)
    assert result.proportion == pytest.approx(0.6)
    assert result.completeness == pytest.approx(5 / 8)


def test_proportion_with_nobody_answering_is_blank_not_an_error():
    result = wilson_proportion(0, 0, 14)
    assert np.isnan(result.proportion) and np.isnan(result.lower)
    assert result.n_eligible == 14


def test_inconsistent_counts_are_refused_with_the_rule():
    with pytest.raises(StatsInputError, match="reaching ≤ answering ≤ eligible"):
        wilson_proportion(5, 4, 10)


def test_non_binary_outcome_is_refused_with_examples():
    with pytest.raises(StatsInputError, match="yes/no"):
        proportion_reaching([1, 0, 2])


def test_mean_interval_against_scipy_t_interval():
    """scipy.stats.t.interval with the standard error of the mean is the reference."""
    values = np.random.default_rng(11).normal(42.0, 15.0, 37)
    expected = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    result = mean_ci([*values, None])
    assert result.n == 37
    assert (result.lower, result.upper) == pytest.approx(expected, rel=1e-12)
    assert result.sd == pytest.approx(values.std(ddof=1))


def test_mean_of_one_value_has_no_interval():
    result = mean_ci([52.0])
    assert result.mean == 52.0 and np.isnan(result.lower) and result.n == 1


def test_paired_change_against_scipy_paired_t_test_interval():
    """The change interval equals the confidence interval of scipy's paired t test; patients
    missing either value are left out of both."""
    rng = np.random.default_rng(12)
    baseline = rng.normal(48, 14, 40)
    follow_up = baseline - rng.normal(20, 12, 40)
    reference = stats.ttest_rel(follow_up, baseline).confidence_interval(0.95)
    result = paired_change_ci([*baseline, 50.0, np.nan], [*follow_up, np.nan, 20.0])
    assert result.n_pairs == 40
    assert (result.lower, result.upper) == pytest.approx((reference.low, reference.high), rel=1e-10)
    assert result.mean_change == pytest.approx((follow_up - baseline).mean())


def test_grouped_tables_match_the_single_sample_functions():
    rng = np.random.default_rng(13)
    frame = pd.DataFrame(
        {
            "site": rng.choice(["north", "south"], 120),
            "odi_0": rng.normal(50, 12, 120),
            "mcid_12m": rng.choice([True, False, None], 120),
        }
    )
    frame["odi_12"] = frame["odi_0"] - rng.normal(18, 10, 120)
    frame.loc[::7, "odi_12"] = np.nan

    means = group_means(frame, "odi_12", ["site"]).set_index("site")
    changes = group_changes(frame, "odi_0", "odi_12", ["site"]).set_index("site")
    shares = group_proportions(frame, "mcid_12m", ["site"]).set_index("site")
    for site, rows in frame.groupby("site"):
        single = mean_ci(rows["odi_12"])
        assert means.loc[site, "n"] == single.n
        assert means.loc[site, ["lower", "upper"]].tolist() == pytest.approx(
            [single.lower, single.upper]
        )
        change = paired_change_ci(rows["odi_0"], rows["odi_12"])
        assert changes.loc[site, ["mean", "lower", "upper"]].tolist() == pytest.approx(
            [change.mean_change, change.lower, change.upper]
        )
        share = proportion_reaching(rows["mcid_12m"].to_numpy())
        assert shares.loc[site, ["n_eligible", "n_answering", "n_reaching"]].tolist() == [
            share.n_eligible,
            share.n_answering,
            share.n_reaching,
        ]
        assert shares.loc[site, ["lower", "upper"]].tolist() == pytest.approx(
            [share.lower, share.upper]
        )


def test_grouped_table_names_a_missing_column():
    with pytest.raises(StatsInputError, match="'odi_24'"):
        group_means(pd.DataFrame({"site": ["a"], "odi_12": [30.0]}), "odi_24", ["site"])


def test_column_means_equal_group_means_on_the_long_form():
    """The wide reduction gives group_means' numbers (blank cells are unanswered)."""
    import numpy as np
    import pandas as pd

    from fusiontrack.core.stats import column_means, group_means

    rng = np.random.default_rng(5)
    values = rng.normal(30, 12, size=(200, 4))
    values[rng.random(values.shape) < 0.3] = np.nan
    values[:, 3] = np.nan
    values[7, 3] = 12.0  # a single answer: no SD, no interval
    columns = pd.MultiIndex.from_tuples(
        [("odi", "baseline"), ("odi", "3m"), ("nrs", "3m"), ("nrs", "24m")]
    )
    wide = pd.DataFrame(values, columns=columns)
    long = wide.stack([0, 1], future_stack=True).dropna().rename("value").reset_index()
    long.columns = ["episode", "measure", "timepoint", "value"]
    expected = group_means(long, "value", ["measure", "timepoint"]).set_index(
        ["measure", "timepoint"]
    )
    got = column_means(wide)
    got.index = got.index.set_names(["measure", "timepoint"])
    pd.testing.assert_frame_equal(
        got.sort_index()[expected.columns], expected.sort_index(), check_dtype=False
    )
    assert got.loc[("nrs", "24m"), "n"] == 1
    assert np.isnan(got.loc[("nrs", "24m"), "sd"])


def test_column_changes_equal_group_changes_per_column():
    import numpy as np
    import pandas as pd

    from fusiontrack.core.stats import column_changes, group_changes

    rng = np.random.default_rng(11)
    baseline = pd.Series(rng.normal(45, 10, 300))
    baseline[rng.random(300) < 0.1] = np.nan
    follow = pd.DataFrame(
        {tp: baseline - rng.normal(d, 8, 300) for tp, d in (("3m", 12), ("12m", 18), ("24m", 20))}
    )
    follow = follow.mask(rng.random(follow.shape) < 0.35)
    follow["24m"] = np.nan
    follow.loc[3, "24m"] = 20.0  # at most one pair: no SD, no interval
    long = pd.concat(
        [
            pd.DataFrame({"tp": tp, "baseline": baseline, "follow_up": follow[tp]})
            for tp in follow.columns
        ],
        ignore_index=True,
    )
    expected = group_changes(long, "baseline", "follow_up", ["tp"]).set_index("tp")
    got = column_changes(baseline, follow)
    got.index.name = "tp"
    pd.testing.assert_frame_equal(
        got.sort_index()[expected.columns], expected.sort_index(), check_dtype=False
    )
