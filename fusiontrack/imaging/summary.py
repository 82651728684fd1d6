"""The latest radiographic measures of episodes, for the registry's before/after panel and the
cohort dashboard: `latest_measures_for_episode(episode)`, its bulk form
`latest_measures_for_episodes(episode_ids)` (a fixed number of queries for any cohort size), and
`cohort_radiographic_changes(episode_ids)`, a pandas frame of pre-op/post-op/change per measure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from django.db.models import QuerySet

from fusiontrack.core.radiology import MEASURE_DEFINITIONS
from fusiontrack.imaging import compare
from fusiontrack.imaging.compare import motion_rows
from fusiontrack.imaging.models import RADIOGRAPH_KINDS, LandmarkSet

KINDS = tuple(code for code, _ in RADIOGRAPH_KINDS)


def latest_sets(episode_ids: Iterable[int]) -> dict[int, dict[str, LandmarkSet]]:
    """{episode id: {kind: latest version on the latest-acquired measured film of that kind}}."""
    rows = (
        LandmarkSet.objects.filter(radiograph__episode_id__in=list(episode_ids))
        .select_related("radiograph", "measured_by")
        .order_by("radiograph__acquired_on", "radiograph_id", "version")
    )
    out: dict[int, dict[str, LandmarkSet]] = {}
    for landmark_set in rows:
        film = landmark_set.radiograph
        out.setdefault(film.episode_id, {})[film.kind] = landmark_set
    return out


def _film_entry(landmark_set: LandmarkSet) -> dict[str, Any]:
    film = landmark_set.radiograph
    user = landmark_set.measured_by
    return {
        "radiograph_id": film.pk,
        "acquired_on": film.acquired_on,
        "landmark_set_id": landmark_set.pk,
        "version": landmark_set.version,
        "measured_at": landmark_set.measured_at,
        "measured_by": user.get_username() if user is not None else "",
        "spacing_source": landmark_set.spacing_source,
        "values": dict(landmark_set.measures.get("values", {})),
    }


def _spacing(landmark_set: LandmarkSet) -> tuple[float, float]:
    return landmark_set.spacing_row_mm, landmark_set.spacing_col_mm


def _entry(sets: dict[str, LandmarkSet]) -> dict[str, Any]:
    result: dict[str, Any] = {
        kind: _film_entry(s) if s else None for kind in KINDS for s in [sets.get(kind)]
    }
    before = result["preop"]["values"] if result["preop"] else {}
    after = result["postop"]["values"] if result["postop"] else {}
    result["changes"] = {
        name: after[name] - before[name]
        for name in before
        if isinstance(before.get(name), int | float)
        and isinstance(after.get(name), int | float)
        and not isinstance(before[name], bool)
    }
    flexion, extension = sets.get("flexion"), sets.get("extension")
    result["motion"] = {
        row.level: {
            "angular_motion_deg": row.angular_motion_deg,
            "translation_mm": row.translation_mm,
            "within_default_limits": row.within_limits,
            "reason": row.reason,
        }
        for row in motion_rows(
            (flexion.landmarks, _spacing(flexion)) if flexion else None,
            (extension.landmarks, _spacing(extension)) if extension else None,
        )
    }
    return result


def latest_measures_for_episodes(episode_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Bulk form of `latest_measures_for_episode`; episodes without any measured film are absent.

    One query whatever the number of episodes (landmark sets joined to films and readers).
    """
    return {episode_id: _entry(sets) for episode_id, sets in latest_sets(episode_ids).items()}


def latest_measures_for_episode(episode: Any) -> dict[str, Any]:
    """Latest measures of one episode.

    Keys: ``preop``, ``postop``, ``flexion``, ``extension`` — each None or {radiograph_id,
    acquired_on, landmark_set_id, version, measured_at, measured_by, spacing_source, values}
    where ``values`` is ``Measures.as_dict()`` (measure name → number or None, grade name →
    code); ``changes`` — {measure: postop − preop} for numbers present on both; ``motion`` —
    {level: {angular_motion_deg, translation_mm, within_default_limits, reason}} from the
    flexion and extension films (core ``compute_motion``, default limits of the core).
    """
    episode_id = episode if isinstance(episode, int) else episode.pk
    found = latest_measures_for_episodes([episode_id])
    return found.get(episode_id) or _entry({})


#: Columns of `cohort_radiographic_changes`, in order.
COHORT_COLUMNS = (
    "episode_id",
    "measure",
    "label",
    "unit",
    "preop",
    "postop",
    "change",
    "preop_on",
    "postop_on",
)


def cohort_radiographic_changes(episode_ids: Iterable[int] | QuerySet[Any]) -> pd.DataFrame:
    """Pre-op, post-op and change of every radiographic measure, one row per episode and measure.

    For the cohort dashboard: long format (``COHORT_COLUMNS``), numbers as floats with NaN where
    a film or a measure is missing (change only when both are present), ``unit`` the core's
    ("deg", "mm", "%", "ratio"; a "%" change is in percentage points). The films are the same as
    `latest_measures_for_episodes`: per episode and kind, the latest version on the
    latest-acquired measured film. `episode_ids` may be a queryset of ids (kept as a subquery).
    One query; episodes without a measured pre-op or post-op film are absent.
    """
    ids = episode_ids if isinstance(episode_ids, QuerySet) else list(episode_ids)
    rows = (
        LandmarkSet.objects.filter(
            radiograph__episode_id__in=ids, radiograph__kind__in=("preop", "postop")
        )
        .order_by("radiograph__acquired_on", "radiograph_id", "version")
        .values_list(
            "radiograph__episode_id", "radiograph__kind", "radiograph__acquired_on", "measures"
        )
    )
    latest: dict[tuple[int, str], tuple[Any, dict[str, Any]]] = {}
    for episode_id, kind, acquired_on, measures in rows:
        latest[(episode_id, kind)] = (acquired_on, measures.get("values", {}))
    records = []
    for episode_id in sorted({key[0] for key in latest}):
        pre_on, pre = latest.get((episode_id, "preop"), (None, {}))
        post_on, post = latest.get((episode_id, "postop"), (None, {}))
        for d in MEASURE_DEFINITIONS:
            b, a = compare.number(pre.get(d.name)), compare.number(post.get(d.name))
            if b is None and a is None:
                continue
            change = a - b if a is not None and b is not None else None
            records.append(
                (
                    episode_id,
                    d.name,
                    compare.label_of(d.name),
                    d.unit,
                    b,
                    a,
                    change,
                    pre_on,
                    post_on,
                )
            )
    frame = pd.DataFrame.from_records(records, columns=list(COHORT_COLUMNS))
    for column in ("preop", "postop", "change"):
        frame[column] = frame[column].astype("float64")
    frame["episode_id"] = frame["episode_id"].astype("int64")
    return frame
