"""Spinopelvic and segmental measures from one lateral standing radiograph.

`compute_measures` computes every measure whose landmarks are present; the others come back as
None with the missing landmarks named, so a half-finished measuring session still shows what it
can. All geometry runs in the patient frame of `landmarks.to_patient_frame` (mm, +x anterior,
+y up), so signs do not depend on which way the patient faced: lordosis is positive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from fusiontrack.core.errors import RadiologyError
from fusiontrack.core.radiology import _geometry as g
from fusiontrack.core.radiology.definitions import MEASURE_DEFINITIONS
from fusiontrack.core.radiology.grading import (
    MEYERDING_LABELS,
    SCHWAB_LABELS,
    meyerding_grade,
    schwab_pi_ll_modifier,
    schwab_pt_modifier,
)
from fusiontrack.core.radiology.landmarks import (
    MIN_LENGTH_MM,
    Facing,
    Landmarks,
    PixelSpacing,
    corner,
    to_patient_frame,
)

Points = Mapping[str, g.Vec]


@dataclass(frozen=True, slots=True)
class Measure:
    """One number with its unit; `value` is None when `reason` says what is missing."""

    name: str
    value: float | None
    unit: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Grade:
    """A category derived from a measure (Meyerding, SRS–Schwab); `code` None with a reason."""

    name: str
    code: str | None
    label: str | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Measures:
    """Every measure of one film. Index it by measure name: `measures["sacral_slope"].value`."""

    facing: Facing | None
    hip_axis_source: str | None
    values: Mapping[str, Measure]
    grades: Mapping[str, Grade]

    def __getitem__(self, name: str) -> Measure:
        return self.values[name]

    def __iter__(self) -> Iterator[Measure]:
        return iter(self.values.values())

    def value(self, name: str) -> float | None:
        return self.values[name].value

    def as_dict(self) -> dict[str, float | str | None]:
        """Flat name → value (grades as their codes), e.g. for storage or a table of changes."""
        flat: dict[str, float | str | None] = {n: m.value for n, m in self.values.items()}
        flat.update({n: gr.code for n, gr in self.grades.items()})
        return flat


# --- the geometry of each measure, in the patient frame -------------------------------------


def _endplate_direction(p: Points, endplate: str) -> g.Vec:
    return g.sub(p[corner(endplate, "anterior")], p[corner(endplate, "posterior")])


def _endplate_midpoint(p: Points, endplate: str) -> g.Vec:
    return g.midpoint(p[corner(endplate, "anterior")], p[corner(endplate, "posterior")])


def _lordosis(p: Points, upper: str, lower: str) -> float:
    """Cobb angle from the lower to the upper endplate; positive opens anteriorly (lordosis)."""
    return g.signed_angle_deg(_endplate_direction(p, lower), _endplate_direction(p, upper))


def _sacral_slope(p: Points) -> float:
    return g.signed_angle_deg(_endplate_direction(p, "S1_superior"), (1.0, 0.0))


def _sacrum_to_hip(p: Points) -> g.Vec:
    to_hip = g.sub(p["hip_axis"], _endplate_midpoint(p, "S1_superior"))
    if g.norm(to_hip) < MIN_LENGTH_MM:
        raise RadiologyError(
            "The hip axis lies on the midpoint of the S1 endplate; place the femoral head "
            "centre(s) again.",
            landmark="hip_axis",
        )
    return to_hip


def _pelvic_tilt(p: Points) -> float:
    # Angle from the upward vertical to the hip→sacrum line: counter-clockwise (positive) when
    # the sacrum lies posterior to the hip axis, i.e. the hip axis is anterior.
    hip_to_sacrum = g.sub((0.0, 0.0), _sacrum_to_hip(p))
    return g.signed_angle_deg((0.0, 1.0), hip_to_sacrum)


def _pelvic_incidence(p: Points) -> float:
    d = _endplate_direction(p, "S1_superior")
    into_sacrum = (d[1], -d[0])  # endplate perpendicular, turned clockwise: caudal, into S1
    return g.signed_angle_deg(into_sacrum, _sacrum_to_hip(p))


def _disc_height(p: Points, upper: str, lower: str, side: str) -> float:
    return g.distance(
        p[f"{upper}_inferior_{side}"],
        p[f"{lower}_superior_{side}"],
    )


def _disc_height_index(p: Points, upper: str, lower: str) -> float:
    depth = g.norm(_endplate_direction(p, f"{upper}_inferior"))
    heights = _disc_height(p, upper, lower, "anterior") + _disc_height(p, upper, lower, "posterior")
    return heights / depth


def _slip_distance(p: Points, upper: str, lower: str) -> float:
    along = g.unit(_endplate_direction(p, f"{lower}_superior"))
    offset = g.sub(p[f"{upper}_inferior_posterior"], p[f"{lower}_superior_posterior"])
    return g.dot(offset, along)


def _slip_percent(p: Points, upper: str, lower: str) -> float:
    width = g.norm(_endplate_direction(p, f"{lower}_superior"))
    return 100.0 * _slip_distance(p, upper, lower) / width


_FORMULAS: dict[str, Callable[[Points], float]] = {
    "sacral_slope": _sacral_slope,
    "pelvic_tilt": _pelvic_tilt,
    "pelvic_incidence": _pelvic_incidence,
    "lumbar_lordosis_l1_s1": lambda p: _lordosis(p, "L1_superior", "S1_superior"),
    "segmental_lordosis_l4_l5": lambda p: _lordosis(p, "L4_superior", "L5_inferior"),
    "segmental_lordosis_l5_s1": lambda p: _lordosis(p, "L5_superior", "S1_superior"),
    "pi_ll_mismatch": lambda p: _pelvic_incidence(p) - _lordosis(p, "L1_superior", "S1_superior"),
}


def _disc_formulas(upper: str, lower: str) -> dict[str, Callable[[Points], float]]:
    code = f"{upper}_{lower}".lower()

    def disc_angle(p: Points) -> float:
        return _lordosis(p, f"{upper}_inferior", f"{lower}_superior")

    def anterior_height(p: Points) -> float:
        return _disc_height(p, upper, lower, "anterior")

    def posterior_height(p: Points) -> float:
        return _disc_height(p, upper, lower, "posterior")

    def height_index(p: Points) -> float:
        return _disc_height_index(p, upper, lower)

    def slip_distance(p: Points) -> float:
        return _slip_distance(p, upper, lower)

    def slip_percent(p: Points) -> float:
        return _slip_percent(p, upper, lower)

    return {
        f"disc_angle_{code}": disc_angle,
        f"anterior_disc_height_{code}": anterior_height,
        f"posterior_disc_height_{code}": posterior_height,
        f"disc_height_index_{code}": height_index,
        f"slip_distance_{code}": slip_distance,
        f"slip_percent_{code}": slip_percent,
    }


_FORMULAS.update(_disc_formulas("L4", "L5"))
_FORMULAS.update(_disc_formulas("L5", "S1"))


def _missing_reason(missing: Sequence[str]) -> str:
    return f"needs landmark(s): {', '.join(missing)}"


def _grades(values: Mapping[str, Measure]) -> dict[str, Grade]:
    grades: dict[str, Grade] = {}
    for code in ("l4_l5", "l5_s1"):
        slip = values[f"slip_percent_{code}"]
        name = f"meyerding_{code}"
        if slip.value is None:
            grades[name] = Grade(name, None, None, slip.reason)
        else:
            grade = meyerding_grade(slip.value)
            reason = None if grade else "no anterolisthesis (slip ≤ 0 %)"
            grades[name] = Grade(name, grade, MEYERDING_LABELS.get(grade or ""), reason)
    for name, source, rule in (
        ("schwab_pi_ll", "pi_ll_mismatch", schwab_pi_ll_modifier),
        ("schwab_pt", "pelvic_tilt", schwab_pt_modifier),
    ):
        measure = values[source]
        if measure.value is None:
            grades[name] = Grade(name, None, None, measure.reason)
        else:
            modifier = rule(measure.value)
            grades[name] = Grade(name, modifier, SCHWAB_LABELS[modifier])
    return grades


def compute_measures(
    landmarks: Landmarks,
    pixel_spacing: float | Sequence[float] | PixelSpacing,
) -> Measures:
    """All measures of one lateral standing film.

    `landmarks`: name → (x, y) in image pixels, y pointing down (names: `LANDMARK_NAMES`).
    `pixel_spacing`: (row_mm, col_mm) as DICOM Pixel Spacing orders it, or one number.
    Raises RadiologyError (a ValueError) for unknown names, non-finite points, coincident
    corners, swapped anterior/posterior corners or a non-positive spacing.
    """
    frame = to_patient_frame(landmarks, pixel_spacing)
    points = frame.points
    values: dict[str, Measure] = {}
    for definition in MEASURE_DEFINITIONS:
        missing = [name for name in definition.requires if name not in points]
        if missing:
            values[definition.name] = Measure(
                definition.name, None, definition.unit, _missing_reason(missing)
            )
        else:
            value = _FORMULAS[definition.name](points)
            values[definition.name] = Measure(definition.name, value, definition.unit)
    return Measures(
        facing=frame.facing,
        hip_axis_source=frame.hip_axis_source,
        values=MappingProxyType(values),
        grades=MappingProxyType(_grades(values)),
    )
