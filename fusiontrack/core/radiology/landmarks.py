"""Landmark names, input validation, pixel → millimetre conversion and the patient frame.

A reader clicks named points on a lateral standing radiograph. Points arrive in pixel coordinates
as images use them: x to the right, y pointing DOWN. This module turns them into millimetres in a
*patient frame* where +x is anterior and +y is up, so that every measure downstream is computed
once, with one sign convention, whichever way the patient faced the detector.

Pixel spacing follows DICOM PS3.3 §10.7.1.3 (Pixel Spacing (0028,0030)): the pair is
(adjacent ROW spacing, adjacent COLUMN spacing) in mm, i.e. (vertical mm per pixel, horizontal mm
per pixel), and both values are positive and non-zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Literal

from fusiontrack.core.errors import RadiologyError
from fusiontrack.core.radiology._geometry import Vec, cross, midpoint, norm, sub, unit

Facing = Literal["left", "right"]
# What callers pass: landmark name → (x, y) in image pixels, y pointing down.
Landmarks = Mapping[str, Sequence[float]]

# Endplates in cranio-caudal order. Each has an anterior and a posterior corner landmark named
# f"{endplate}_anterior" / f"{endplate}_posterior", e.g. "L4_superior_anterior".
ENDPLATES: tuple[str, ...] = (
    "L1_superior",
    "L4_superior",
    "L4_inferior",
    "L5_superior",
    "L5_inferior",
    "S1_superior",
)

FEMORAL_HEAD_LEFT = "femoral_head_left"
FEMORAL_HEAD_RIGHT = "femoral_head_right"
# Accepted instead of the two femoral heads: the bicoxofemoral axis already placed by the reader.
HIP_AXIS = "hip_axis"


def corner(endplate: str, side: str) -> str:
    """Landmark name of one endplate corner: corner("L4_superior", "anterior")."""
    return f"{endplate}_{side}"


CORNER_NAMES: tuple[str, ...] = tuple(
    corner(e, side) for e in ENDPLATES for side in ("anterior", "posterior")
)
LANDMARK_NAMES: tuple[str, ...] = (*CORNER_NAMES, FEMORAL_HEAD_LEFT, FEMORAL_HEAD_RIGHT, HIP_AXIS)
_KNOWN = frozenset(LANDMARK_NAMES)

# Endplate pairs that face each other across one disc: a direction between them says little
# about which way is cranial when the level is slipped, so they alone never define "up".
_DISC_PAIRS = frozenset({("L4_inferior", "L5_superior"), ("L5_inferior", "S1_superior")})

# Input-sanity heuristics of this module, not clinical thresholds [SOURCE MISSING: chosen so that
# even extreme lordosis or slip angles stay well inside]. Endplate lines of one lumbar spine
# further apart than this in direction mean an anterior and a posterior corner were swapped.
_MAX_ENDPLATE_DIVERGENCE_DEG = 120.0
# |sin| of the angle between the anterior direction and the cranial direction below which the
# facing (left or right) cannot be told reliably.
_MIN_FACING_SINE = 0.05
# Two clicks closer than this (mm) are treated as the same point.
MIN_LENGTH_MM = 1e-6


@dataclass(frozen=True, slots=True)
class PixelSpacing:
    """Millimetres per pixel: `row_mm` between rows (vertical), `col_mm` between columns."""

    row_mm: float
    col_mm: float


def _pair(raw: object) -> tuple[object, object] | None:
    """Two items from a tuple, list, numpy array or DICOM MultiValue; None for anything else."""
    if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        return None
    try:
        items = tuple(raw)
    except TypeError:  # e.g. a 0-d numpy array
        return None
    return (items[0], items[1]) if len(items) == 2 else None


def _real(value: object) -> float | None:
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    return None


def parse_pixel_spacing(spacing: float | Sequence[float] | PixelSpacing) -> PixelSpacing:
    """Accept (row_mm, col_mm), a single isotropic value, or a PixelSpacing; reject the rest."""
    if isinstance(spacing, PixelSpacing):
        values: tuple[object, ...] = (spacing.row_mm, spacing.col_mm)
    elif isinstance(spacing, Real) and not isinstance(spacing, bool):
        values = (spacing, spacing)
    elif (pair := _pair(spacing)) is not None:
        values = pair
    else:
        raise RadiologyError(
            f"Pixel spacing {spacing!r} is not understood. Give (row_mm, col_mm) as in DICOM "
            "Pixel Spacing (0028,0030), or one number for square pixels."
        )
    parsed: list[float] = []
    for label, value in zip(("row", "column"), values, strict=True):
        number = _real(value)
        if number is None or not math.isfinite(number) or number <= 0.0:
            raise RadiologyError(
                f"Pixel spacing ({label}) is {value!r}; it must be a positive number of mm per "
                "pixel. Calibrate the image (DICOM Pixel Spacing or a known length) and retry."
            )
        parsed.append(number)
    return PixelSpacing(parsed[0], parsed[1])


def parse_landmarks(landmarks: Landmarks) -> dict[str, Vec]:
    """Validate names and coordinates; return pixel points in the canonical name order."""
    if not isinstance(landmarks, Mapping):
        raise RadiologyError("Landmarks must be a mapping of landmark name to (x, y) pixels.")
    unknown = sorted(str(k) for k in landmarks if k not in _KNOWN)
    if unknown:
        raise RadiologyError(
            f"Unknown landmark name(s): {', '.join(unknown)}. "
            f"Known names: {', '.join(LANDMARK_NAMES)}.",
            landmark=unknown[0],
        )
    points: dict[str, Vec] = {}
    for name in LANDMARK_NAMES:  # fixed order: results never depend on the caller's dict order
        if name not in landmarks:
            continue
        raw = landmarks[name]
        pair = _pair(raw)
        x_or_none, y_or_none = (None, None) if pair is None else (_real(pair[0]), _real(pair[1]))
        if x_or_none is None or y_or_none is None:
            raise RadiologyError(
                f"Landmark {name} is {raw!r}; it must be a pair of numbers (x, y) in pixels.",
                landmark=name,
            )
        x, y = x_or_none, y_or_none
        if not (math.isfinite(x) and math.isfinite(y)):
            raise RadiologyError(
                f"Landmark {name} has a non-finite coordinate ({x}, {y}); place it again.",
                landmark=name,
            )
        points[name] = (x, y)
    return points


def _hip_axis_mm(points: Mapping[str, Vec]) -> tuple[Vec | None, str | None]:
    left, right = points.get(FEMORAL_HEAD_LEFT), points.get(FEMORAL_HEAD_RIGHT)
    given = points.get(HIP_AXIS)
    if given is not None and (left is not None or right is not None):
        raise RadiologyError(
            "Both hip_axis and femoral head centre(s) were given; keep either the two femoral "
            "heads (their midpoint becomes the hip axis) or hip_axis alone.",
            landmark=HIP_AXIS,
        )
    if given is not None:
        return given, "hip_axis"
    if left is not None and right is not None:
        return midpoint(left, right), "midpoint of both femoral heads"
    if left is not None:
        return left, "left femoral head only"
    if right is not None:
        return right, "right femoral head only"
    return None, None


@dataclass(frozen=True, slots=True)
class PatientFrame:
    """Landmarks in mm with +x anterior and +y up (cranial on an upright film).

    `points` also holds "hip_axis" when it could be derived. `facing` is where the patient's front
    points on the displayed image, or None when no endplate had both corners.
    """

    points: Mapping[str, Vec]
    facing: Facing | None
    hip_axis_source: str | None


def _endplate_vectors(points: Mapping[str, Vec]) -> dict[str, Vec]:
    """Posterior → anterior vector of every endplate with both corners, in ENDPLATES order."""
    vectors: dict[str, Vec] = {}
    for endplate in ENDPLATES:
        ant, post = corner(endplate, "anterior"), corner(endplate, "posterior")
        if ant in points and post in points:
            vector = sub(points[ant], points[post])
            if norm(vector) < MIN_LENGTH_MM:
                raise RadiologyError(
                    f"The anterior and posterior corners of {endplate.replace('_', ' ')} "
                    "coincide; place them at the two ends of the endplate.",
                    landmark=ant,
                )
            vectors[endplate] = vector
    return vectors


def _check_corner_order(vectors: Mapping[str, Vec]) -> None:
    """Catch swapped anterior/posterior corners: that endplate points the other way."""
    names = list(vectors)
    limit = math.cos(math.radians(_MAX_ENDPLATE_DIVERGENCE_DEG))
    conflicts: dict[str, list[str]] = {name: [] for name in names}
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            u, v = unit(vectors[first]), unit(vectors[second])
            if u[0] * v[0] + u[1] * v[1] < limit:
                conflicts[first].append(second)
                conflicts[second].append(first)
    # The endplate in conflict with the most others is the likely culprit (the last on a tie).
    suspect = max(reversed(names), key=lambda name: len(conflicts[name]), default=None)
    if suspect is None or not conflicts[suspect]:
        return
    others = ", ".join(other.replace("_", " ") for other in conflicts[suspect])
    raise RadiologyError(
        f"The {suspect.replace('_', ' ')} endplate points the opposite way to {others}: its "
        "anterior and posterior corners look swapped. Place *_anterior on the front of the "
        "vertebral body.",
        landmark=corner(suspect, "anterior"),
    )


def _cranial_direction(points: Mapping[str, Vec], vectors: Mapping[str, Vec]) -> Vec:
    """Up along the spine from the endplate midpoints; image-up when they cannot tell."""
    present = [e for e in ENDPLATES if e in vectors]
    if len(present) >= 2 and (present[0], present[-1]) not in _DISC_PAIRS:
        top, bottom = present[0], present[-1]
        top_mid = midpoint(points[corner(top, "anterior")], points[corner(top, "posterior")])
        low_mid = midpoint(points[corner(bottom, "anterior")], points[corner(bottom, "posterior")])
        direction = sub(top_mid, low_mid)
        if norm(direction) >= MIN_LENGTH_MM:
            return direction
    return (0.0, 1.0)  # a standing film is displayed upright


def _detect_facing(points: Mapping[str, Vec], vectors: Mapping[str, Vec]) -> Facing | None:
    """Right when the anterior direction turns counter-clockwise onto the cranial direction.

    Uses the handedness of (anterior, cranial) rather than the sign of x alone, so a film rotated
    by any angle is still read the right way round; mirroring flips the handedness.
    """
    if not vectors:
        return None
    anterior = (0.0, 0.0)
    for vector in vectors.values():
        u = unit(vector)
        anterior = (anterior[0] + u[0], anterior[1] + u[1])
    cranial = _cranial_direction(points, vectors)
    sine = cross(unit(anterior), unit(cranial))
    if abs(sine) < _MIN_FACING_SINE:
        raise RadiologyError(
            "Cannot tell which way the patient faces: the endplates run along the spine instead "
            "of across it. Check the corner landmarks and that the film is displayed upright."
        )
    return "right" if sine > 0 else "left"


def to_patient_frame(
    landmarks: Landmarks,
    pixel_spacing: float | Sequence[float] | PixelSpacing,
) -> PatientFrame:
    """Validate, convert to mm (y up) and mirror left-facing films so anterior is +x."""
    spacing = parse_pixel_spacing(pixel_spacing)
    pixels = parse_landmarks(landmarks)
    mm = {name: (x * spacing.col_mm, -y * spacing.row_mm) for name, (x, y) in pixels.items()}
    vectors = _endplate_vectors(mm)
    _check_corner_order(vectors)
    facing = _detect_facing(mm, vectors)
    if facing == "left":
        mm = {name: (-x, y) for name, (x, y) in mm.items()}
    hip, source = _hip_axis_mm(mm)
    if hip is not None:
        mm[HIP_AXIS] = hip
    return PatientFrame(points=mm, facing=facing, hip_axis_source=source)
