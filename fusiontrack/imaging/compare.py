"""Before/after of two measured films: a table of changes, a one-line summary, an overlay, and
flexion–extension motion. Presentation of the core's numbers only; no new geometry."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fusiontrack.core.radiology import (
    FUSION_MOTION_LIMITS_DEFAULT,
    MEASURE_DEFINITIONS,
    MEASURES_BY_NAME,
    MOTION_LEVELS,
    RadiologyError,
    compute_motion,
)
from fusiontrack.core.radiology.landmarks import to_patient_frame

Values = Mapping[str, Any]

GRADE_LABELS = {
    "meyerding_l4_l5": "Meyerding grade L4–L5",
    "meyerding_l5_s1": "Meyerding grade L5–S1",
    "schwab_pi_ll": "SRS–Schwab PI−LL modifier",
    "schwab_pt": "SRS–Schwab PT modifier",
}
#: Measures named in the one-line summary, in this order (the table lists all).
HEADLINE = (
    "slip_percent_l4_l5",
    "slip_percent_l5_s1",
    "segmental_lordosis_l4_l5",
    "segmental_lordosis_l5_s1",
    "lumbar_lordosis_l1_s1",
    "pi_ll_mismatch",
    "posterior_disc_height_l4_l5",
    "posterior_disc_height_l5_s1",
)
_SUFFIX = {"deg": "°", "mm": " mm", "%": " %", "ratio": ""}
_DECIMALS = {"deg": 1, "mm": 1, "%": 0, "ratio": 2}


def format_value(value: float | None, unit: str, *, signed: bool = False) -> str:
    """ "12.3°", "+6.0°", "28 %", "0.45"; a typographic minus; "—" for no value."""
    if value is None:
        return "—"
    decimals = _DECIMALS.get(unit, 1)
    rounded = round(value, decimals) + 0.0  # + 0.0 turns −0.0 into 0.0
    text = f"{rounded:+.{decimals}f}" if signed and rounded != 0 else f"{rounded:.{decimals}f}"
    return text.replace("-", "−") + _SUFFIX.get(unit, "")


@dataclass(frozen=True)
class ChangeRow:
    name: str
    label: str
    unit: str
    before: float | str | None
    after: float | str | None
    change: float | None

    @property
    def before_text(self) -> str:
        return self._text(self.before)

    @property
    def after_text(self) -> str:
        return self._text(self.after)

    @property
    def change_text(self) -> str:
        if self.change is None:
            return "—"
        text = format_value(self.change, self.unit, signed=True)
        # a change of a percentage is in percentage points, not a relative "% change"
        return text.removesuffix(" %") + " pp" if self.unit == "%" else text

    def _text(self, value: float | str | None) -> str:
        if isinstance(value, str):
            return value
        return format_value(value, self.unit)


def number(value: Any) -> float | None:
    """A finite number from stored JSON, else None (grades, booleans, NaN are not numbers)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def label_of(name: str) -> str:
    """The core's label with level names dashed consistently ("Slip L4–L5")."""
    label = MEASURES_BY_NAME[name].label
    return label.replace("L4-L5", "L4–L5").replace("L5-S1", "L5–S1")


def change_table(before: Values, after: Values) -> list[ChangeRow]:
    """One row per measure and grade present on either film; change = after − before."""
    rows = []
    for d in MEASURE_DEFINITIONS:
        b, a = number(before.get(d.name)), number(after.get(d.name))
        if b is None and a is None:
            continue
        change = a - b if a is not None and b is not None else None
        rows.append(ChangeRow(d.name, label_of(d.name), d.unit, b, a, change))
    for name, label in GRADE_LABELS.items():
        b, a = before.get(name), after.get(name)
        if b is None and a is None:
            continue
        rows.append(ChangeRow(name, label, "grade", b or "none", a or "none", None))
    return rows


def _short(label: str) -> str:
    return label[0].lower() + label[1:] if not label[:2].isupper() else label


def change_sentence(rows: Sequence[ChangeRow]) -> str:
    """e.g. "Slip L4–L5 28 % → 8 %, segmental lordosis L5–S1 +6.0°"; "" when nothing changed.

    Measures whose change rounds to zero at display precision are left out (the table has them).
    """
    by_name = {r.name: r for r in rows if r.change is not None}
    parts = []
    for name in HEADLINE:
        row = by_name.get(name)
        if row is None:
            continue
        if row.unit == "%":
            if row.before_text != row.after_text:
                parts.append(f"{_short(row.label)} {row.before_text} → {row.after_text}")
        elif format_value(row.change, row.unit) != format_value(0.0, row.unit):
            parts.append(f"{_short(row.label)} {row.change_text}")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


# --- overlay: both films' outlines aligned on the S1 endplate ------------------------------------


@dataclass(frozen=True)
class Outline:
    """Polygons/lines in millimetres, SVG orientation (x anterior to the right, y down)."""

    bodies: list[list[tuple[float, float]]]  # L4, L5 vertebral bodies (4 corners)
    endplates: list[list[tuple[float, float]]]  # endplates without a full body (L1, S1)
    hip: tuple[float, float] | None

    def points(self) -> list[tuple[float, float]]:
        pts = [p for poly in self.bodies + self.endplates for p in poly]
        return pts + ([self.hip] if self.hip else [])


_BODY = {"L4": ("L4_superior", "L4_inferior"), "L5": ("L5_superior", "L5_inferior")}


def outline(landmarks: Mapping[str, Sequence[float]], spacing: Sequence[float]) -> Outline | None:
    """Outline of one film in mm, S1 endplate midpoint at the origin and horizontal.

    None when the S1 endplate is missing (nothing to align on) or the points are invalid.
    """
    try:
        frame = to_patient_frame(landmarks, spacing)
    except RadiologyError:
        return None
    p = frame.points
    if "S1_superior_anterior" not in p or "S1_superior_posterior" not in p:
        return None
    ant, post = p["S1_superior_anterior"], p["S1_superior_posterior"]
    ox, oy = (ant[0] + post[0]) / 2, (ant[1] + post[1]) / 2
    angle = -math.atan2(ant[1] - post[1], ant[0] - post[0])
    cos, sin = math.cos(angle), math.sin(angle)

    def place(name: str) -> tuple[float, float] | None:
        if name not in p:
            return None
        x, y = p[name][0] - ox, p[name][1] - oy
        return (x * cos - y * sin, -(x * sin + y * cos))  # rotate, then flip y for SVG

    def plate(endplate: str) -> list[tuple[float, float]] | None:
        a, b = place(f"{endplate}_anterior"), place(f"{endplate}_posterior")
        return [a, b] if a and b else None

    bodies, plates = [], []
    for upper, lower in _BODY.values():
        top, bottom = plate(upper), plate(lower)
        if top and bottom:
            bodies.append([top[0], top[1], bottom[1], bottom[0]])
        else:
            plates += [x for x in (top, bottom) if x]
    plates += [x for x in (plate("L1_superior"), plate("S1_superior")) if x]
    return Outline(bodies=bodies, endplates=plates, hip=place("hip_axis"))


def view_box(*outlines: Outline | None, margin: float = 15.0) -> str:
    points = [pt for o in outlines if o for pt in o.points()]
    if not points:
        return "0 0 1 1"
    xs, ys = [pt[0] for pt in points], [pt[1] for pt in points]
    x0, y0 = min(xs) - margin, min(ys) - margin
    return f"{x0:.1f} {y0:.1f} {max(xs) - x0 + margin:.1f} {max(ys) - y0 + margin:.1f}"


def svg_points(polygon: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.2f},{y:.2f}" for x, y in polygon)


# --- flexion–extension motion -------------------------------------------------------------------


@dataclass(frozen=True)
class MotionRow:
    level: str
    angular_motion_deg: float | None = None
    translation_mm: float | None = None
    within_limits: bool | None = None
    reason: str = ""


def motion_rows(
    flexion: tuple[Mapping[str, Sequence[float]], Sequence[float]] | None,
    extension: tuple[Mapping[str, Sequence[float]], Sequence[float]] | None,
    levels: Sequence[str] = MOTION_LEVELS,
) -> list[MotionRow]:
    """compute_motion at each level from (landmarks, spacing) of the two films."""
    if flexion is None or extension is None:
        missing = "flexion" if flexion is None else "extension"
        return [MotionRow(level, reason=f"no measured {missing} film") for level in levels]
    rows = []
    for level in levels:
        try:
            motion = compute_motion(
                flexion[0],
                extension[0],
                level=level,
                flexion_spacing=flexion[1],
                extension_spacing=extension[1],
            )
        except RadiologyError as exc:
            rows.append(MotionRow(level, reason=str(exc)))
            continue
        rows.append(
            MotionRow(
                level,
                motion.angular_motion_deg,
                motion.translation_mm,
                motion.within(FUSION_MOTION_LIMITS_DEFAULT),
            )
        )
    return rows


def levels_of(operated: str) -> tuple[str, ...]:
    """Motion levels for an operation's level code (vocab.LEVELS); both when unknown."""
    if operated in MOTION_LEVELS:
        return (operated,)
    return MOTION_LEVELS
