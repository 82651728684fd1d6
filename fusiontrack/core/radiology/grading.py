"""Categories derived from radiographic numbers: Meyerding grade, SRS–Schwab modifiers, and the
configurable motion limits used to call a segment fused (or mobile) on flexion–extension films.

Every cut-off carries its source and evidence tag (shared/notes/instruments.md §6,
shared/notes/verified-facts.md §10). Boundaries are inclusive on the lower category, as the
published ranges are written ("I: 0–25 %, II: 26–50 %" → 25 % is grade I, 25.01 % grade II).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fusiontrack.core.errors import RadiologyError
from fusiontrack.core.vocab import MEYERDING_GRADES

# Upper bound (inclusive, slip %) of each Meyerding grade; above the last bound is grade V.
# Meyerding HW 1932, as tabulated by Radiopaedia and Medscape: I 0–25, II 26–50, III 51–75,
# IV 76–100, V > 100 (spondyloptosis, a later addition) — CORROBORATED, verified-facts.md §10.
_MEYERDING_UPPER_BOUNDS: tuple[tuple[str, float], ...] = (
    ("I", 25.0),
    ("II", 50.0),
    ("III", 75.0),
    ("IV", 100.0),
)
MEYERDING_LABELS: dict[str, str] = dict(MEYERDING_GRADES)

# SRS–Schwab sagittal modifiers: PI−LL 0: < 10°, +: 10–20°, ++: > 20°; PT 0: < 20°, +: 20–30°,
# ++: > 30°. Schwab F et al. Spine 2012;37(12):1077–1082 (validation study; title page seen) and
# Terran J et al. Neurosurgery 2013;73(4):559–568 (values seen in a secondary summary only).
# [UNVERIFIED in instruments.md §6.1] — confirm against the primary tables before release.
SCHWAB_PI_LL_BOUNDS = (10.0, 20.0)
SCHWAB_PT_BOUNDS = (20.0, 30.0)
SCHWAB_LABELS: dict[str, str] = {
    "0": "non-pathologic",
    "+": "moderate deformity",
    "++": "marked deformity",
}


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise RadiologyError(f"{what} is {value}; a finite number is needed to grade it.")
    return value


def meyerding_grade(slip_percent: float) -> str | None:
    """Meyerding grade code ("I".."V") of an anterolisthesis; None when there is no forward slip.

    A slip of 0 % or less (a retrolisthesis is negative) has no Meyerding grade.
    """
    slip = _finite(slip_percent, "Slip percentage")
    if slip <= 0.0:
        return None
    for code, upper in _MEYERDING_UPPER_BOUNDS:
        if slip <= upper:
            return code
    return "V"


def _schwab(value: float, bounds: tuple[float, float]) -> str:
    low, high = bounds
    if value < low:
        return "0"
    return "+" if value <= high else "++"


def schwab_pi_ll_modifier(pi_minus_ll_deg: float) -> str:
    """SRS–Schwab PI−LL modifier ("0", "+", "++") of the signed PI − LL in degrees."""
    return _schwab(_finite(pi_minus_ll_deg, "PI − LL"), SCHWAB_PI_LL_BOUNDS)


def schwab_pt_modifier(pelvic_tilt_deg: float) -> str:
    """SRS–Schwab pelvic-tilt modifier ("0", "+", "++")."""
    return _schwab(_finite(pelvic_tilt_deg, "Pelvic tilt"), SCHWAB_PT_BOUNDS)


@dataclass(frozen=True, slots=True)
class MotionLimits:
    """Largest flexion–extension motion still read as 'no motion' (strictly below both limits).

    A clinic protocol, not a law of nature: Resnick DK et al. (J Neurosurg Spine 2005;2(6):653–657,
    abstract seen) state that the amount of motion allowable across a fused segment is not clear.
    Pass the clinic's own limits; instability criteria (e.g. Dupuis 1985, Boden & Wiesel 1990)
    are deliberately not shipped because their numbers were not seen in a source
    [SOURCE MISSING].
    """

    max_angle_deg: float
    max_translation_mm: float

    def __post_init__(self) -> None:
        for label, value in (
            ("max_angle_deg", self.max_angle_deg),
            ("max_translation_mm", self.max_translation_mm),
        ):
            if not math.isfinite(value) or value <= 0.0:
                raise RadiologyError(f"Motion limit {label} is {value}; it must be positive.")


# Commonly used fusion-success limits: < 5° angular motion and < 3 mm translation (some studies
# use ≤ 2–3° and < 2 mm). [UNVERIFIED, instruments.md §6.1]: no primary source retrieved.
FUSION_MOTION_LIMITS_DEFAULT = MotionLimits(max_angle_deg=5.0, max_translation_mm=3.0)
