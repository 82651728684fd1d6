"""What the imaging pages show: built here so the views stay short."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from fusiontrack.core.radiology import (
    FUSION_MOTION_LIMITS_DEFAULT,
    LANDMARK_STEPS,
    MEASURE_DEFINITIONS,
    MEASURES_BY_NAME,
)
from fusiontrack.imaging import compare
from fusiontrack.imaging.forms import FusionFromMotionForm
from fusiontrack.imaging.models import LandmarkSet, Radiograph
from fusiontrack.imaging.summary import latest_sets
from fusiontrack.registry import access
from fusiontrack.registry.models import Episode, FusionAssessment, Operation

MOTION_LIMITS_NOTE = (
    f"Default limits: angular motion < {FUSION_MOTION_LIMITS_DEFAULT.max_angle_deg:g}° and "
    f"translation < {FUSION_MOTION_LIMITS_DEFAULT.max_translation_mm:g} mm — commonly used, "
    "UNVERIFIED (no primary source retrieved; shared/notes/instruments.md §6.1). Set your own."
)


def _operated_level(episode: Episode) -> str:
    operation = Operation.objects.filter(episode=episode).order_by("operation_date").first()
    return operation.levels if operation else ""


def _spacing(landmark_set: LandmarkSet) -> tuple[float, float]:
    return landmark_set.spacing_row_mm, landmark_set.spacing_col_mm


def motion_for(episode: Episode, sets: dict[str, LandmarkSet] | None = None) -> list[Any]:
    sets = latest_sets([episode.pk]).get(episode.pk, {}) if sets is None else sets
    flexion, extension = sets.get("flexion"), sets.get("extension")
    return compare.motion_rows(
        (flexion.landmarks, _spacing(flexion)) if flexion else None,
        (extension.landmarks, _spacing(extension)) if extension else None,
        compare.levels_of(_operated_level(episode)),
    )


def fusion_assessment(
    episode: Episode, data: dict[str, Any], motion: list[compare.MotionRow]
) -> FusionAssessment:
    """A registry FusionAssessment carrying |angular motion| at the chosen level."""
    row = next(r for r in motion if r.level == data["level"])
    assert row.angular_motion_deg is not None  # the form only offers measured levels
    note = (
        f"Flexion–extension at {row.level}: angular motion {row.angular_motion_deg:+.1f}°, "
        f"translation {row.translation_mm:+.1f} mm (fusiontrack measuring tool)."
    )
    return FusionAssessment(
        episode=episode,
        assessment_date=data["assessment_date"],
        modality="flexion_extension",
        bridwell_grade=data.get("bridwell_grade") or "",
        segmental_motion_degrees=Decimal(f"{abs(row.angular_motion_deg):.1f}"),
        judgement=data["judgement"],
        notes="\n".join(x for x in (note, data.get("notes", "")) if x),
    )


def _film_view(landmark_set: LandmarkSet | None) -> dict[str, Any] | None:
    """One measured film for the side-by-side view: preview URL and endplate lines."""
    if landmark_set is None:
        return None
    film = landmark_set.radiograph
    points = landmark_set.landmarks
    lines = [
        (points[a], points[p])
        for a, p in ((f"{e}_anterior", f"{e}_posterior") for e in _ENDPLATES)
        if a in points and p in points
    ]
    return {
        "set": landmark_set,
        "film": film,
        "preview_url": reverse("imaging:preview", args=[film.pk]),
        "lines": lines,
        "dots": list(points.values()),
        "marker": max(film.width, film.height) / 250,
    }


_ENDPLATES = (
    "L1_superior",
    "L4_superior",
    "L4_inferior",
    "L5_superior",
    "L5_inferior",
    "S1_superior",
)


def episode_context(request: HttpRequest, episode: Episode, role: str) -> dict[str, Any]:
    films = list(
        Radiograph.objects.filter(episode=episode)
        .select_related("uploaded_by")
        .order_by("acquired_on", "id")
    )
    sets = latest_sets([episode.pk]).get(episode.pk, {})
    latest_by_film = {s.radiograph_id: s for s in sets.values()}
    before, after = sets.get("preop"), sets.get("postop")
    rows = compare.change_table(
        before.measures["values"] if before else {}, after.measures["values"] if after else {}
    )
    outline_before = compare.outline(before.landmarks, _spacing(before)) if before else None
    outline_after = compare.outline(after.landmarks, _spacing(after)) if after else None
    motion = motion_for(episode, sets)
    measured_levels = [r.level for r in motion if r.angular_motion_deg is not None]
    can_write_fusion = access.can_write(role, "fusion")
    return {
        "episode": episode,
        "patient": episode.patient,
        "films": [(f, latest_by_film.get(f.pk)) for f in films],
        "can_write": access.can_write(role, "imaging"),
        "before": _film_view(before),
        "after": _film_view(after),
        "change_rows": rows if before and after else [],
        "change_sentence": compare.change_sentence(rows) if before and after else "",
        "overlay": {
            "view_box": compare.view_box(outline_before, outline_after),
            "before": outline_before,
            "after": outline_after,
        }
        if outline_before and outline_after
        else None,
        "motion": motion,
        "motion_note": MOTION_LIMITS_NOTE,
        "assessments": list(FusionAssessment.objects.filter(episode=episode)),
        "fusion_form": FusionFromMotionForm(
            levels=measured_levels, initial={"assessment_date": _latest_date(sets)}
        )
        if can_write_fusion and measured_levels
        else None,
    }


def _latest_date(sets: dict[str, LandmarkSet]) -> dt.date | None:
    dates = [s.radiograph.acquired_on for k, s in sets.items() if k in ("flexion", "extension")]
    return max(dates) if dates else None


def tool_context(request: HttpRequest, film: Radiograph, role: str) -> dict[str, Any]:
    versions = list(
        LandmarkSet.objects.filter(radiograph=film)
        .select_related("measured_by")
        .order_by("-version")
    )
    latest = versions[0] if versions else None
    can_write = access.can_write(role, "imaging")
    saved_rows = []
    if latest:
        values = latest.measures.get("values", {})
        saved_rows = [
            (d, compare.label_of(d.name), compare.format_value(values.get(d.name), d.unit))
            for d in MEASURE_DEFINITIONS
        ]
    return {
        "film": film,
        "episode": film.episode,
        "patient": film.episode.patient,
        "latest": latest,
        "versions": versions,
        "saved_rows": saved_rows,
        "saved_grades": [
            (compare.GRADE_LABELS[k], latest.measures["values"].get(k) or "none")
            for k in compare.GRADE_LABELS
        ]
        if latest
        else [],
        "can_write": can_write,
        "measures_by_name": MEASURES_BY_NAME,
        "tool_config": {
            "width": film.width,
            "height": film.height,
            "calibrated": film.spacing is not None,
            "canSave": can_write,
            "steps": [
                {"name": s.name, "instruction": s.instruction, "enables": list(s.enables)}
                for s in LANDMARK_STEPS
            ],
            "measures": [
                {"name": d.name, "label": compare.label_of(d.name), "unit": d.unit}
                for d in MEASURE_DEFINITIONS
            ],
            "grades": compare.GRADE_LABELS,
            "landmarks": latest.landmarks if latest else {},
            "version": latest.version if latest else 0,
            "urls": {
                "preview": reverse("imaging:preview", args=[film.pk]),
                "compute": reverse("imaging:compute", args=[film.pk]),
                "save": reverse("imaging:save_landmarks", args=[film.pk]),
            },
        },
    }
