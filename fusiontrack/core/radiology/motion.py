"""Segmental motion between a flexion and an extension film at one level (L4–L5 or L5–S1).

Angular motion is the change of the intervertebral (disc) angle — the upper vertebra's inferior
endplate against the lower vertebra's superior endplate — and translation is the change of the
sagittal slip distance (the Taillard projection of `measures`), both read the same way on each
film so the patient's facing and the film's rotation cancel. Definitions as in
shared/notes/instruments.md §6.1 ("angular motion = |angle_flex − angle_ext|, translation =
|Δ sagittal translation| (mm)") [UNVERIFIED]. Millimetres depend on each film's calibration; a
film without true pixel spacing gives magnified translations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fusiontrack.core.errors import RadiologyError
from fusiontrack.core.radiology.grading import MotionLimits
from fusiontrack.core.radiology.landmarks import Landmarks, PixelSpacing
from fusiontrack.core.radiology.measures import compute_measures

# Level codes as in fusiontrack.core.vocab.LEVELS.
MOTION_LEVELS: tuple[str, ...] = ("L4-L5", "L5-S1")


@dataclass(frozen=True, slots=True)
class SegmentalMotion:
    """Flexion–extension motion at one level. Signed values: extension minus flexion for the angle
    (positive = the segment gains lordosis in extension, the normal direction), flexion minus
    extension for translation (positive = the upper vertebra slides forward in flexion)."""

    level: str
    angle_flexion_deg: float
    angle_extension_deg: float
    translation_flexion_mm: float
    translation_extension_mm: float

    @property
    def angular_motion_deg(self) -> float:
        return self.angle_extension_deg - self.angle_flexion_deg

    @property
    def translation_mm(self) -> float:
        return self.translation_flexion_mm - self.translation_extension_mm

    def within(self, limits: MotionLimits) -> bool:
        """True when both |angular motion| and |translation| are strictly below the limits."""
        return (
            abs(self.angular_motion_deg) < limits.max_angle_deg
            and abs(self.translation_mm) < limits.max_translation_mm
        )


def _level_values(
    landmarks: Landmarks,
    spacing: float | Sequence[float] | PixelSpacing,
    level: str,
    film: str,
) -> tuple[float, float]:
    code = level.lower().replace("-", "_")
    measures = compute_measures(landmarks, spacing)
    angle = measures[f"disc_angle_{code}"]
    slip = measures[f"slip_distance_{code}"]
    if angle.value is None or slip.value is None:
        reason = angle.reason or slip.reason
        raise RadiologyError(f"The {film} film cannot give motion at {level}: {reason}.")
    return angle.value, slip.value


def compute_motion(
    flexion: Landmarks,
    extension: Landmarks,
    *,
    level: str,
    flexion_spacing: float | Sequence[float] | PixelSpacing,
    extension_spacing: float | Sequence[float] | PixelSpacing | None = None,
) -> SegmentalMotion:
    """Angular motion and translation at `level` ("L4-L5" or "L5-S1") from two films.

    `extension_spacing` defaults to `flexion_spacing` (same detector and set-up).
    """
    if level not in MOTION_LEVELS:
        raise RadiologyError(
            f"Level {level!r} is not measured; choose one of {', '.join(MOTION_LEVELS)}."
        )
    ext_spacing = flexion_spacing if extension_spacing is None else extension_spacing
    angle_flex, slip_flex = _level_values(flexion, flexion_spacing, level, "flexion")
    angle_ext, slip_ext = _level_values(extension, ext_spacing, level, "extension")
    return SegmentalMotion(level, angle_flex, angle_ext, slip_flex, slip_ext)
