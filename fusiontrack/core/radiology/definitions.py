"""What each radiographic measure is, which landmarks it needs, and where its definition comes from.

One table drives three things: `compute_measures` (what to compute and why a value is missing),
the guided measuring tool (`LANDMARK_STEPS`: which measures each click unlocks) and the docs.

Evidence tags are those of shared/notes/instruments.md §6.1: [SRC] read in the cited source,
[UNVERIFIED] background knowledge only — verify before clinical release.
"""

from __future__ import annotations

from dataclasses import dataclass

from fusiontrack.core.radiology.landmarks import (
    FEMORAL_HEAD_LEFT,
    FEMORAL_HEAD_RIGHT,
    HIP_AXIS,
    corner,
)

DEG, MM, PERCENT, RATIO = "deg", "mm", "%", "ratio"

_SPINOPELVIC_SOURCE = (
    "Legaye J, Duval-Beaupère G, et al. Eur Spine J 1998;7:99–103 "
    "[UNVERIFIED standard definition, instruments.md §6.1]"
)
_IJSS_TABLE = (
    "IJSS table of radiographic definitions (ijssurgery.com highwire table 13711) "
    "[SRC, instruments.md §6.1]"
)


@dataclass(frozen=True, slots=True)
class MeasureDefinition:
    name: str
    label: str
    unit: str
    requires: tuple[str, ...]  # landmark names; "hip_axis" is met by hip_axis or a femoral head
    method: str
    source: str


def _endplate(endplate: str) -> tuple[str, str]:
    return corner(endplate, "anterior"), corner(endplate, "posterior")


def _disc(upper: str, lower: str, level: str) -> tuple[MeasureDefinition, ...]:
    upper_inf, lower_sup = f"{upper}_inferior", f"{lower}_superior"
    code = level.lower().replace("-", "_")
    return (
        MeasureDefinition(
            f"disc_angle_{code}",
            f"Disc angle {level}",
            DEG,
            (*_endplate(upper_inf), *_endplate(lower_sup)),
            f"Angle between the {upper} inferior and {lower} superior endplates; lordotic "
            "(opening anteriorly) positive.",
            "instruments.md §6.1 (disc-angle convention) [UNVERIFIED]",
        ),
        MeasureDefinition(
            f"anterior_disc_height_{code}",
            f"Anterior disc height {level}",
            MM,
            (corner(upper_inf, "anterior"), corner(lower_sup, "anterior")),
            f"Straight-line distance from the {upper} anterior-inferior corner to the {lower} "
            "anterior-superior corner.",
            f"'Distance at the most anterior point of the vertebral body from endplate to "
            f"endplate': {_IJSS_TABLE}",
        ),
        MeasureDefinition(
            f"posterior_disc_height_{code}",
            f"Posterior disc height {level}",
            MM,
            (corner(upper_inf, "posterior"), corner(lower_sup, "posterior")),
            f"Straight-line distance from the {upper} posterior-inferior corner to the {lower} "
            "posterior-superior corner (a surrogate of foraminal height).",
            _IJSS_TABLE,
        ),
        MeasureDefinition(
            f"disc_height_index_{code}",
            f"Disc height index {level}",
            RATIO,
            (*_endplate(upper_inf), *_endplate(lower_sup)),
            f"(anterior + posterior disc height) / depth of the {upper} inferior endplate "
            "(its anterior-to-posterior corner distance). Dimensionless, so radiographic "
            "magnification cancels.",
            "Farfan-type index [UNVERIFIED]: published DHI variants differ (sum or mean of "
            "heights; disc diameter or vertebral depth as denominator). Normalising by the depth "
            "of the cranial vertebra follows Frobin W et al., RöFo 1997;167(1):11 (abstract seen). "
            "Compare DHI only between films measured with this same definition.",
        ),
        MeasureDefinition(
            f"slip_distance_{code}",
            f"Slip distance {level}",
            MM,
            (
                corner(upper_inf, "posterior"),
                *_endplate(lower_sup),
            ),
            f"Projection of ({upper} posterior-inferior corner − {lower} posterior-superior "
            f"corner) on the {lower} superior endplate, posterior → anterior. Negative = "
            "retrolisthesis.",
            "Taillard method as written in instruments.md §6.1 [UNVERIFIED standard]",
        ),
        MeasureDefinition(
            f"slip_percent_{code}",
            f"Slip {level}",
            PERCENT,
            (
                corner(upper_inf, "posterior"),
                *_endplate(lower_sup),
            ),
            f"100 × slip distance / length of the {lower} superior endplate.",
            "Taillard method as written in instruments.md §6.1 [UNVERIFIED standard]",
        ),
    )


MEASURE_DEFINITIONS: tuple[MeasureDefinition, ...] = (
    MeasureDefinition(
        "sacral_slope",
        "Sacral slope",
        DEG,
        _endplate("S1_superior"),
        "Angle between the S1 superior endplate and the image horizontal; positive when the "
        "anterior corner is lower. Assumes the film is displayed upright.",
        _SPINOPELVIC_SOURCE,
    ),
    MeasureDefinition(
        "pelvic_tilt",
        "Pelvic tilt",
        DEG,
        (*_endplate("S1_superior"), HIP_AXIS),
        "Angle between the image vertical and the line from the hip axis to the midpoint of the "
        "S1 endplate; positive when the hip axis lies anterior to that midpoint. Assumes the film "
        "is displayed upright.",
        _SPINOPELVIC_SOURCE,
    ),
    MeasureDefinition(
        "pelvic_incidence",
        "Pelvic incidence",
        DEG,
        (*_endplate("S1_superior"), HIP_AXIS),
        "Angle between the perpendicular to the S1 endplate at its midpoint and the line from "
        "that midpoint to the hip axis. Computed directly; equals PT + SS exactly (signed PT).",
        f"{_SPINOPELVIC_SOURCE}; position independence [SRC: CAOS 2011 abstract, "
        "instruments.md §6.1]",
    ),
    MeasureDefinition(
        "lumbar_lordosis_l1_s1",
        "Lumbar lordosis L1–S1",
        DEG,
        (*_endplate("L1_superior"), *_endplate("S1_superior")),
        "Cobb angle between the L1 superior and S1 superior endplates; lordotic (the lines "
        "converge posteriorly) positive.",
        "instruments.md §6.1 (L1 superior to S1 superior convention) [UNVERIFIED]",
    ),
    MeasureDefinition(
        "segmental_lordosis_l4_l5",
        "Segmental lordosis L4–L5",
        DEG,
        (*_endplate("L4_superior"), *_endplate("L5_inferior")),
        "Angle between the L4 superior and L5 inferior endplates (vertebra to vertebra); "
        "lordotic positive.",
        f"'Angle between the inferior endplate of the caudal vertebral body and the superior "
        f"endplate of the cephalad vertebral body of the fusion segment': {_IJSS_TABLE}",
    ),
    MeasureDefinition(
        "segmental_lordosis_l5_s1",
        "Segmental lordosis L5–S1",
        DEG,
        (*_endplate("L5_superior"), *_endplate("S1_superior")),
        "Angle between the L5 superior and S1 superior endplates (the S1 inferior endplate is "
        "not visible, so the sacral endplate stands in); lordotic positive.",
        f"{_IJSS_TABLE}; S1 superior as the caudal line is this module's convention "
        "[SOURCE MISSING for that choice]",
    ),
    MeasureDefinition(
        "pi_ll_mismatch",
        "PI − LL mismatch",
        DEG,
        (*_endplate("L1_superior"), *_endplate("S1_superior"), HIP_AXIS),
        "Pelvic incidence minus lumbar lordosis L1–S1 (signed).",
        "Schwab F et al. Spine 2012;37(12):1077–1082 [UNVERIFIED, instruments.md §6.1]",
    ),
    *_disc("L4", "L5", "L4-L5"),
    *_disc("L5", "S1", "L5-S1"),
)

MEASURES_BY_NAME: dict[str, MeasureDefinition] = {d.name: d for d in MEASURE_DEFINITIONS}


@dataclass(frozen=True, slots=True)
class LandmarkStep:
    """One click in the guided measuring tool, in the order the tool asks for them."""

    name: str
    instruction: str
    enables: tuple[str, ...]  # measure names this landmark takes part in


_INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    *(
        (
            corner(f"{vertebra}_{end}", side),
            f"Click the {side}-{end} corner of {vertebra} "
            f"({'front' if side == 'anterior' else 'back'} "
            f"{'top' if end == 'superior' else 'bottom'} corner of the vertebral body).",
        )
        for vertebra, ends in (
            ("L1", ("superior",)),
            ("L4", ("superior", "inferior")),
            ("L5", ("superior", "inferior")),
        )
        for end in ends
        for side in ("anterior", "posterior")
    ),
    (
        corner("S1_superior", "anterior"),
        "Click the anterior-superior corner of S1 (front edge of the sacral endplate).",
    ),
    (
        corner("S1_superior", "posterior"),
        "Click the posterior-superior corner of S1 (back edge of the sacral endplate).",
    ),
    (
        FEMORAL_HEAD_LEFT,
        "Click the centre of the left femoral head (if only one head is visible, click it here "
        "and skip the next step).",
    ),
    (
        FEMORAL_HEAD_RIGHT,
        "Click the centre of the right femoral head (skip if the two heads overlap exactly).",
    ),
)


def _enables(landmark: str) -> tuple[str, ...]:
    needed_as = HIP_AXIS if landmark in (FEMORAL_HEAD_LEFT, FEMORAL_HEAD_RIGHT) else landmark
    return tuple(d.name for d in MEASURE_DEFINITIONS if needed_as in d.requires)


LANDMARK_STEPS: tuple[LandmarkStep, ...] = tuple(
    LandmarkStep(name, instruction, _enables(name)) for name, instruction in _INSTRUCTIONS
)
