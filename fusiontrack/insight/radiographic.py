"""The dashboard's radiographic measures (issue 8 §3): pre-op, post-op and change per measure over
the filtered cohort's episodes that have both a measured pre-op and a measured post-op film.

Why here and not in `aggregates`: the measures live in the imaging app, outside the cached cohort
snapshot, so they cost one query per page (imaging's `cohort_radiographic_changes`) on the ids of
the already filtered cohort. The statistics are the core's grouped paired t interval, as for the
PROM changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from fusiontrack.core.radiology import MEASURE_DEFINITIONS
from fusiontrack.core.stats import group_changes
from fusiontrack.insight.aggregates import Table
from fusiontrack.insight.queries import CohortData

#: Up to this many cohort episodes the ids go into the query as a list; above it the sites'
#: episodes are a subquery and the rows are narrowed to the cohort in pandas (no huge IN list,
#: which SQLite also caps at 32,766 parameters).
ID_LIST_LIMIT = 500
#: ``change_lower``/``change_upper``, not ``lower``/``upper``: those names are shown as percents
#: of one by `presentation`, and these intervals are in the measure's unit.
COLUMNS = [
    "measure",
    "unit",
    "n",
    "preop_mean",
    "postop_mean",
    "mean_change",
    "change_lower",
    "change_upper",
]
DERIVED = tuple(COLUMNS[3:])
ORDER = {d.name: i for i, d in enumerate(MEASURE_DEFINITIONS)}


def load_changes(site_ids: Sequence[int], data: CohortData) -> pd.DataFrame:
    """Imaging's long pre-op/post-op/change frame for the episodes of ``data`` (one query, none
    for an empty cohort)."""
    from fusiontrack.imaging.summary import COHORT_COLUMNS, cohort_radiographic_changes
    from fusiontrack.registry.models import Episode

    ids = data.episodes.index
    if len(ids) == 0:
        return pd.DataFrame(columns=list(COHORT_COLUMNS))
    if len(ids) <= ID_LIST_LIMIT:
        return cohort_radiographic_changes([int(i) for i in ids])
    frame = cohort_radiographic_changes(
        Episode.objects.filter(site_id__in=list(site_ids)).order_by().values("pk")
    )
    return frame[frame["episode_id"].isin(ids)].reset_index(drop=True)


def radiographic_table(changes: pd.DataFrame) -> Table:
    """Per measure: n episodes with both films, mean pre-op, mean post-op, mean change with its
    95 % paired t interval; measures in the core's order, those without a pair left out."""
    frame = pd.DataFrame(columns=COLUMNS)
    if not changes.empty:
        grouped = group_changes(changes, "preop", "postop", ["measure"])
        grouped = grouped[grouped["n"] > 0]
        if not grouped.empty:
            names = changes.drop_duplicates("measure").set_index("measure")
            grouped = grouped.assign(
                _order=grouped["measure"].map(ORDER),
                unit=grouped["measure"].map(names["unit"]),
                measure=grouped["measure"].map(names["label"]),
            ).sort_values("_order")
            frame = grouped.rename(
                columns={
                    "baseline_mean": "preop_mean",
                    "follow_up_mean": "postop_mean",
                    "mean": "mean_change",
                    "lower": "change_lower",
                    "upper": "change_upper",
                }
            )[COLUMNS].reset_index(drop=True)
            frame["n"] = frame["n"].astype("int64")
            # Float noise of equal films (−1e-14) would read "-0.00"; +0.0 turns −0.0 into 0.0.
            frame[list(DERIVED)] = frame[list(DERIVED)].round(9) + 0.0
    return Table(
        "radiographic",
        "Radiographic measures: pre-op, post-op and change (post-op − pre-op; 95 % CI, paired t)",
        frame,
        "Episodes with a measured pre-op and a measured post-op film (n = pairs); per kind the "
        "latest measured film, whatever its interval from surgery. Units: deg = degrees, mm, "
        "% (changes in percentage points), ratio.",
        counts=("n",),
        derived=DERIVED,
    )
