"""The latest radiographic measures of episodes, for the registry's before/after panel and the
cohort dashboard: `latest_measures_for_episode(episode)` and its bulk form
`latest_measures_for_episodes(episode_ids)` (a fixed number of queries for any cohort size)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
