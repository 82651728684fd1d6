"""Radiographic geometry: spinopelvic angles, lordosis, disc heights, slip and motion.

Synthetic films are built in millimetres in the patient frame (+x anterior, +y up) from chosen
angles and lengths, then rotated, mirrored (patient facing the other way) and sampled with
anisotropic pixel spacing, so every expected number is known by construction.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusiontrack.core.errors import FusiontrackError, RadiologyError
from fusiontrack.core.radiology import (
    CORNER_NAMES,
    FUSION_MOTION_LIMITS_DEFAULT,
    LANDMARK_NAMES,
    LANDMARK_STEPS,
    MEASURE_DEFINITIONS,
    MEASURES_BY_NAME,
    MotionLimits,
    compute_measures,
    compute_motion,
    meyerding_grade,
    schwab_pi_ll_modifier,
    schwab_pt_modifier,
)
from fusiontrack.core.radiology.measures import _FORMULAS
from fusiontrack.core.vocab import MEYERDING_GRADES

ANGLE_TOL = 1e-6  # degrees
MM_TOL = 1e-6

Point = tuple[float, float]


def angle_diff(a: float, b: float) -> float:
    """Smallest signed difference a − b between two angles, in degrees."""
    return (a - b + 180.0) % 360.0 - 180.0


# --- a synthetic lumbar spine -------------------------------------------------------------------


@dataclass(frozen=True)
class Spine:
    """Chosen shape of a lateral film, in the patient frame (mm, +x anterior, +y up)."""

    sacral_slope: float = 40.0
    pelvic_tilt: float = 15.0
    hip_distance: float = 110.0
    disc_l5_s1: float = 12.0  # disc (intervertebral) angles, lordotic positive
    body_l5: float = 3.0  # vertebral wedge angles
    disc_l4_l5: float = 10.0
    body_l4: float = 2.0
    upper_lumbar: float = 25.0  # L4 superior → L1 superior
    slip_l5_s1: float = 0.0  # mm along the lower endplate
    slip_l4_l5: float = 0.0
    height_l5_s1: float = 11.0  # posterior disc height perpendicular to the lower endplate
    height_l4_l5: float = 10.0
    body_height: float = 27.0
    s1_width: float = 40.0
    l5_width: float = 38.0
    l4_width: float = 36.0
    l1_width: float = 34.0

    # expected values, straight from the construction
    @property
    def pelvic_incidence(self) -> float:
        return self.sacral_slope + self.pelvic_tilt

    @property
    def segmental_l4_l5(self) -> float:
        return self.body_l5 + self.disc_l4_l5 + self.body_l4

    @property
    def segmental_l5_s1(self) -> float:
        return self.disc_l5_s1 + self.body_l5

    @property
    def lumbar_lordosis(self) -> float:
        return self.disc_l5_s1 + self.segmental_l4_l5 + self.upper_lumbar

    def points_mm(self) -> dict[str, Point]:
        def direction(angle: float) -> Point:
            r = math.radians(angle)
            return (math.cos(r), math.sin(r))

        def up(angle: float) -> Point:  # perpendicular to an endplate, cranial
            r = math.radians(angle)
            return (-math.sin(r), math.cos(r))

        def move(p: Point, *steps: tuple[float, Point]) -> Point:
            x, y = p
            for length, (dx, dy) in steps:
                x, y = x + length * dx, y + length * dy
            return (x, y)

        a_s1 = -self.sacral_slope
        a_l5i = a_s1 + self.disc_l5_s1
        a_l5s = a_l5i + self.body_l5
        a_l4i = a_l5s + self.disc_l4_l5
        a_l4s = a_l4i + self.body_l4
        a_l1s = a_l4s + self.upper_lumbar
        post = {"S1_superior": (0.0, 0.0)}
        post["L5_inferior"] = move(
            post["S1_superior"],
            (self.slip_l5_s1, direction(a_s1)),
            (self.height_l5_s1, up(a_s1)),
        )
        post["L5_superior"] = move(post["L5_inferior"], (self.body_height, up(a_l5i)))
        post["L4_inferior"] = move(
            post["L5_superior"],
            (self.slip_l4_l5, direction(a_l5s)),
            (self.height_l4_l5, up(a_l5s)),
        )
        post["L4_superior"] = move(post["L4_inferior"], (self.body_height, up(a_l4i)))
        post["L1_superior"] = move(post["L4_superior"], (110.0, up(a_l4s)))
        shape = {
            "S1_superior": (a_s1, self.s1_width),
            "L5_inferior": (a_l5i, self.l5_width),
            "L5_superior": (a_l5s, self.l5_width),
            "L4_inferior": (a_l4i, self.l4_width),
            "L4_superior": (a_l4s, self.l4_width),
            "L1_superior": (a_l1s, self.l1_width),
        }
        points: dict[str, Point] = {}
        for endplate, (angle, width) in shape.items():
            points[f"{endplate}_posterior"] = post[endplate]
            points[f"{endplate}_anterior"] = move(post[endplate], (width, direction(angle)))
        s1p, s1a = points["S1_superior_posterior"], points["S1_superior_anterior"]
        mid = ((s1p[0] + s1a[0]) / 2, (s1p[1] + s1a[1]) / 2)
        pt = math.radians(self.pelvic_tilt)
        hip = move(mid, (self.hip_distance, (math.sin(pt), -math.cos(pt))))
        # two femoral heads 6 mm apart along the image horizontal; their midpoint is the hip axis
        points["femoral_head_left"] = (hip[0] - 3.0, hip[1])
        points["femoral_head_right"] = (hip[0] + 3.0, hip[1])
        return points


def to_pixels(
    points_mm: dict[str, Point],
    *,
    spacing: tuple[float, float] = (0.15, 0.15),
    rotate_deg: float = 0.0,
    mirror: bool = False,
    origin: Point = (1200.0, 1500.0),
) -> dict[str, Point]:
    """Mirror (patient facing left), rotate counter-clockwise on the upright film, then sample."""
    row_mm, col_mm = spacing
    c, s = math.cos(math.radians(rotate_deg)), math.sin(math.radians(rotate_deg))
    pixels = {}
    for name, (x, y) in points_mm.items():
        x = -x if mirror else x
        x, y = c * x - s * y, s * x + c * y
        pixels[name] = (origin[0] + x / col_mm, origin[1] - y / row_mm)
    return pixels


def measure(spine: Spine, **film: object) -> dict[str, float | str | None]:
    spacing = film.get("spacing", (0.15, 0.15))
    return compute_measures(to_pixels(spine.points_mm(), **film), spacing).as_dict()  # type: ignore[arg-type]


# --- a worked example, computed by hand ----------------------------------------------------------


def test_spinopelvic_angles_of_a_hand_measured_film_against_hand_calculation():
    """Ana's standing film, spacing 0.5 mm/pixel. In mm (y up): S1 endplate from (0, 0) to
    (32, −24), so SS = atan(3/4) = 36.8699°; the hip axis lies (28, −96) from the endplate
    midpoint, so PT = atan(28/96) = 16.2602°; PI = atan(3/4) + atan(7/24) = atan(4/3) = 53.1301°.
    """
    mm = {
        "S1_superior_posterior": (0.0, 0.0),
        "S1_superior_anterior": (32.0, -24.0),
        "hip_axis": (16.0 + 28.0, -12.0 - 96.0),
    }
    px = {k: (x / 0.5 + 500.0, -y / 0.5 + 800.0) for k, (x, y) in mm.items()}
    result = compute_measures(px, (0.5, 0.5))
    assert result.facing == "right"
    assert result["sacral_slope"].value == pytest.approx(36.869898, abs=1e-6)
    assert result["pelvic_tilt"].value == pytest.approx(16.260205, abs=1e-6)
    assert result["pelvic_incidence"].value == pytest.approx(53.130102, abs=1e-6)
    assert result["sacral_slope"].unit == "deg"


# --- known angles under rotation, mirroring and anisotropic spacing -----------------------------

FILMS = [
    pytest.param({}, id="upright, facing right"),
    pytest.param({"mirror": True}, id="upright, facing left"),
    pytest.param({"rotate_deg": 17.0}, id="rotated 17°"),
    pytest.param({"rotate_deg": -133.0, "mirror": True}, id="rotated -133°, facing left"),
    pytest.param({"spacing": (0.2, 0.1)}, id="anisotropic spacing"),
    pytest.param(
        {"rotate_deg": 71.5, "mirror": True, "spacing": (0.139, 0.3)},
        id="rotated, mirrored, anisotropic",
    ),
]


@pytest.mark.parametrize("film", FILMS)
def test_position_independent_angles_survive_rotation_mirroring_and_spacing(film):
    spine = Spine()
    m = measure(spine, **film)
    assert m["pelvic_incidence"] == pytest.approx(spine.pelvic_incidence, abs=ANGLE_TOL)
    assert m["lumbar_lordosis_l1_s1"] == pytest.approx(spine.lumbar_lordosis, abs=ANGLE_TOL)
    assert m["segmental_lordosis_l4_l5"] == pytest.approx(spine.segmental_l4_l5, abs=ANGLE_TOL)
    assert m["segmental_lordosis_l5_s1"] == pytest.approx(spine.segmental_l5_s1, abs=ANGLE_TOL)
    assert m["disc_angle_l4_l5"] == pytest.approx(spine.disc_l4_l5, abs=ANGLE_TOL)
    assert m["disc_angle_l5_s1"] == pytest.approx(spine.disc_l5_s1, abs=ANGLE_TOL)
    assert m["pi_ll_mismatch"] == pytest.approx(
        spine.pelvic_incidence - spine.lumbar_lordosis, abs=ANGLE_TOL
    )


@pytest.mark.parametrize("mirror, facing", [(False, "right"), (True, "left")])
def test_facing_is_detected_from_the_corners(mirror, facing):
    spine = Spine()
    result = compute_measures(to_pixels(spine.points_mm(), mirror=mirror), (0.15, 0.15))
    assert result.facing == facing


@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("rotate_deg", [0.0, 8.0, -25.0, 140.0])
def test_sacral_slope_and_pelvic_tilt_follow_the_film_rotation(mirror, rotate_deg):
    """SS and PT are positional: a film turned by θ shifts them by ∓θ, and PI = PT + SS stays."""
    spine = Spine(sacral_slope=38.0, pelvic_tilt=14.0)
    m = measure(spine, rotate_deg=rotate_deg, mirror=mirror)
    # Seen in the patient frame, a counter-clockwise turn of a left-facing film is clockwise.
    theta = -rotate_deg if mirror else rotate_deg
    assert angle_diff(m["sacral_slope"], 38.0 - theta) == pytest.approx(0.0, abs=ANGLE_TOL)
    assert angle_diff(m["pelvic_tilt"], 14.0 + theta) == pytest.approx(0.0, abs=ANGLE_TOL)
    assert m["pelvic_incidence"] == pytest.approx(52.0, abs=ANGLE_TOL)


def test_upright_film_gives_the_constructed_sacral_slope_and_pelvic_tilt_in_both_directions():
    spine = Spine(sacral_slope=42.5, pelvic_tilt=-4.0)  # negative PT: hip axis behind S1
    for mirror in (False, True):
        m = measure(spine, mirror=mirror, spacing=(0.1, 0.25))
        assert m["sacral_slope"] == pytest.approx(42.5, abs=ANGLE_TOL)
        assert m["pelvic_tilt"] == pytest.approx(-4.0, abs=ANGLE_TOL)


def test_kyphotic_segment_is_negative_whichever_way_the_patient_faces():
    spine = Spine(disc_l4_l5=-6.0, body_l5=0.0, body_l4=0.0)
    for mirror in (False, True):
        m = measure(spine, mirror=mirror)
        assert m["disc_angle_l4_l5"] == pytest.approx(-6.0, abs=ANGLE_TOL)
        assert m["segmental_lordosis_l4_l5"] == pytest.approx(-6.0, abs=ANGLE_TOL)


@settings(max_examples=150, deadline=None)
@given(
    ss=st.floats(-10.0, 75.0),
    pt=st.floats(-30.0, 50.0),
    hip_distance=st.floats(40.0, 200.0),
    rotate=st.floats(-180.0, 180.0),
    mirror=st.booleans(),
    row_mm=st.floats(0.05, 1.0),
    col_mm=st.floats(0.05, 1.0),
)
def test_pelvic_incidence_equals_tilt_plus_slope(
    ss, pt, hip_distance, rotate, mirror, row_mm, col_mm
):
    """The geometric identity PI = PT + SS (Legaye et al. 1998), for any film position."""
    spine = Spine(sacral_slope=ss, pelvic_tilt=pt, hip_distance=hip_distance)
    m = measure(spine, rotate_deg=rotate, mirror=mirror, spacing=(row_mm, col_mm))
    assert angle_diff(m["pelvic_incidence"], m["pelvic_tilt"] + m["sacral_slope"]) == (
        pytest.approx(0.0, abs=1e-9)
    )
    assert m["pelvic_incidence"] == pytest.approx(ss + pt, abs=ANGLE_TOL)


@settings(max_examples=100, deadline=None)
@given(
    disc=st.floats(-10.0, 25.0),
    body=st.floats(-5.0, 10.0),
    upper=st.floats(-20.0, 45.0),
    slip=st.floats(-8.0, 30.0),
    rotate=st.floats(-180.0, 180.0),
    mirror=st.booleans(),
    row_mm=st.floats(0.05, 1.0),
    col_mm=st.floats(0.05, 1.0),
)
def test_lordosis_and_slip_are_invariant_under_any_film_position(
    disc, body, upper, slip, rotate, mirror, row_mm, col_mm
):
    spine = Spine(disc_l4_l5=disc, body_l4=body, body_l5=body, upper_lumbar=upper, slip_l4_l5=slip)
    m = measure(spine, rotate_deg=rotate, mirror=mirror, spacing=(row_mm, col_mm))
    assert m["lumbar_lordosis_l1_s1"] == pytest.approx(spine.lumbar_lordosis, abs=ANGLE_TOL)
    assert m["segmental_lordosis_l4_l5"] == pytest.approx(spine.segmental_l4_l5, abs=ANGLE_TOL)
    assert m["slip_distance_l4_l5"] == pytest.approx(slip, abs=MM_TOL)
    assert m["slip_percent_l4_l5"] == pytest.approx(100.0 * slip / spine.l5_width, abs=1e-6)


# --- slip and Meyerding grade -------------------------------------------------------------------


def _l5_s1_slip_film(slip_mm: float) -> dict[str, Point]:
    """Horizontal S1 endplate 40 mm wide; L5's posterior-inferior corner `slip_mm` forward.

    Spacing (0.5, 0.25) and these coordinates are exact in binary floating point, so a slip of
    exactly 25 % is computed as exactly 25.0.
    """
    mm = {
        "S1_superior_posterior": (0.0, 0.0),
        "S1_superior_anterior": (40.0, 0.0),
        "L5_inferior_posterior": (slip_mm, 10.0),
        "L5_inferior_anterior": (slip_mm + 36.0, 12.0),
    }
    return {k: (x / 0.25, 2000.0 - y / 0.5) for k, (x, y) in mm.items()}


@pytest.mark.parametrize(
    "slip_mm, percent, grade",
    [
        (0.0, 0.0, None),
        (-4.0, -10.0, None),  # retrolisthesis
        (0.25, 0.625, "I"),
        (10.0, 25.0, "I"),
        (10.25, 25.625, "II"),
        (20.0, 50.0, "II"),
        (20.25, 50.625, "III"),
        (30.0, 75.0, "III"),
        (30.25, 75.625, "IV"),
        (40.0, 100.0, "IV"),
        (40.25, 100.625, "V"),
    ],
)
def test_slip_percentage_and_meyerding_grade_at_the_boundaries(slip_mm, percent, grade):
    """Meyerding grades I 0–25 %, II 26–50 %, III 51–75 %, IV 76–100 %, V > 100 %
    (Radiopaedia, Medscape; verified-facts.md §10), slip as % of the S1 endplate (Taillard)."""
    result = compute_measures(_l5_s1_slip_film(slip_mm), (0.5, 0.25))
    assert result["slip_percent_l5_s1"].value == percent
    assert result["slip_distance_l5_s1"].value == slip_mm
    assert result.grades["meyerding_l5_s1"].code == grade


@pytest.mark.parametrize(
    "percent, grade",
    [(25.0, "I"), (25.01, "II"), (50.0, "II"), (75.0, "III"), (100.0, "IV"), (100.01, "V")],
)
def test_meyerding_grade_against_verified_facts(percent, grade):
    """Ranges I 0–25, II 26–50, III 51–75, IV 76–100, V > 100 % (verified-facts.md §10)."""
    assert meyerding_grade(percent) == grade


def test_meyerding_codes_are_those_of_the_shared_vocabulary():
    codes = {code for code, _ in MEYERDING_GRADES}
    assert {meyerding_grade(p) for p in (1, 30, 60, 90, 120)} == codes


def test_rotated_slip_grades_either_side_of_the_boundary():
    for slip_mm, grade in ((0.249 * 38.0, "I"), (0.251 * 38.0, "II")):
        spine = Spine(slip_l4_l5=slip_mm)
        result = compute_measures(
            to_pixels(spine.points_mm(), rotate_deg=23.0, mirror=True), (0.15, 0.15)
        )
        assert result.grades["meyerding_l4_l5"].code == grade


# --- disc heights ------------------------------------------------------------------------------


def test_disc_heights_in_mm_with_known_anisotropic_spacing():
    """L4 inferior endplate 40 mm deep over a horizontal L5 endplate; anterior gap 12 mm,
    posterior 8 mm → DHI = (12 + 8) / 40 = 0.5. Spacing: rows 0.2 mm, columns 0.1 mm."""
    mm = {
        "L5_superior_posterior": (0.0, 0.0),
        "L5_superior_anterior": (40.0, 0.0),
        "L4_inferior_posterior": (0.0, 8.0),
        "L4_inferior_anterior": (40.0, 12.0),
    }
    # the L4 endplate is tilted, so its depth is hypot(40, 4); DHI uses that depth
    px = {k: (x / 0.1, 3000.0 - y / 0.2) for k, (x, y) in mm.items()}
    result = compute_measures(px, (0.2, 0.1))
    assert result["anterior_disc_height_l4_l5"].value == pytest.approx(12.0, abs=1e-9)
    assert result["posterior_disc_height_l4_l5"].value == pytest.approx(8.0, abs=1e-9)
    assert result["disc_height_index_l4_l5"].value == pytest.approx(20.0 / math.hypot(40, 4))
    assert result["anterior_disc_height_l4_l5"].unit == "mm"
    assert result["disc_height_index_l4_l5"].unit == "ratio"


@pytest.mark.parametrize("film", FILMS)
def test_disc_heights_survive_rotation_mirroring_and_spacing(film):
    spine = Spine(disc_l5_s1=0.0, slip_l5_s1=0.0, height_l5_s1=11.0, l5_width=40.0)
    m = measure(spine, **film)
    # parallel endplates, no slip: both heights equal the constructed gap
    assert m["anterior_disc_height_l5_s1"] == pytest.approx(11.0, abs=MM_TOL)
    assert m["posterior_disc_height_l5_s1"] == pytest.approx(11.0, abs=MM_TOL)
    assert m["disc_height_index_l5_s1"] == pytest.approx(22.0 / 40.0, abs=1e-9)


# --- flexion–extension --------------------------------------------------------------------------


def test_flexion_extension_motion_at_l4_l5():
    """Flexion: L4–L5 disc angle 4°, L4 slipped 6 mm forward; extension: 13°, 2 mm.
    Angular motion 13 − 4 = 9°; translation 6 − 2 = 4 mm. The two films face opposite ways,
    are rotated differently and calibrated differently."""
    flexion = Spine(disc_l4_l5=4.0, slip_l4_l5=6.0, sacral_slope=30.0)
    extension = Spine(disc_l4_l5=13.0, slip_l4_l5=2.0, sacral_slope=45.0)
    motion = compute_motion(
        to_pixels(flexion.points_mm(), spacing=(0.14, 0.14), rotate_deg=5.0),
        to_pixels(extension.points_mm(), spacing=(0.2, 0.18), mirror=True, rotate_deg=-3.0),
        level="L4-L5",
        flexion_spacing=(0.14, 0.14),
        extension_spacing=(0.2, 0.18),
    )
    assert motion.level == "L4-L5"
    assert motion.angle_flexion_deg == pytest.approx(4.0, abs=ANGLE_TOL)
    assert motion.angle_extension_deg == pytest.approx(13.0, abs=ANGLE_TOL)
    assert motion.angular_motion_deg == pytest.approx(9.0, abs=ANGLE_TOL)
    assert motion.translation_mm == pytest.approx(4.0, abs=MM_TOL)
    assert not motion.within(FUSION_MOTION_LIMITS_DEFAULT)


def test_a_fused_l5_s1_shows_motion_within_the_default_limits():
    """Default limits < 5° and < 3 mm ([UNVERIFIED], instruments.md §6.1)."""
    flexion = Spine(disc_l5_s1=9.0, slip_l5_s1=1.0)
    extension = Spine(disc_l5_s1=10.5, slip_l5_s1=0.5)
    motion = compute_motion(
        to_pixels(flexion.points_mm()),
        to_pixels(extension.points_mm()),
        level="L5-S1",
        flexion_spacing=0.15,
    )
    assert motion.angular_motion_deg == pytest.approx(1.5, abs=ANGLE_TOL)
    assert motion.translation_mm == pytest.approx(0.5, abs=MM_TOL)
    assert motion.within(FUSION_MOTION_LIMITS_DEFAULT)
    assert not motion.within(MotionLimits(max_angle_deg=1.0, max_translation_mm=3.0))


def test_motion_needs_the_level_landmarks_on_both_films():
    full = to_pixels(Spine().points_mm())
    partial = {k: v for k, v in full.items() if not k.startswith("L4_inferior")}
    with pytest.raises(RadiologyError, match="extension film cannot give motion at L4-L5"):
        compute_motion(full, partial, level="L4-L5", flexion_spacing=0.15)
    with pytest.raises(RadiologyError, match="choose one of L4-L5, L5-S1"):
        compute_motion(full, full, level="L3-L4", flexion_spacing=0.15)


# --- missing landmarks, determinism, inputs -----------------------------------------------------


def test_measures_without_their_landmarks_are_none_with_a_reason():
    points = Spine().points_mm()
    del points["L1_superior_anterior"], points["femoral_head_left"], points["femoral_head_right"]
    result = compute_measures(to_pixels(points), 0.15)
    lordosis = result["lumbar_lordosis_l1_s1"]
    assert lordosis.value is None
    assert lordosis.reason == "needs landmark(s): L1_superior_anterior"
    assert result["pelvic_tilt"].reason == "needs landmark(s): hip_axis"
    assert result.grades["schwab_pt"].code is None
    assert result["sacral_slope"].value is not None
    assert result.hip_axis_source is None


def test_an_empty_film_gives_every_measure_as_missing():
    result = compute_measures({}, 0.15)
    assert result.facing is None
    assert all(m.value is None and m.reason for m in result)
    assert set(result.values) == set(MEASURES_BY_NAME)


def test_one_femoral_head_serves_as_the_hip_axis():
    points = Spine().points_mm()
    right = points.pop("femoral_head_right")
    left = points["femoral_head_left"]
    points["femoral_head_left"] = (left[0] + 3.0, left[1])  # now exactly on the hip axis
    assert right == (left[0] + 6.0, left[1])
    result = compute_measures(to_pixels(points), 0.15)
    assert result.hip_axis_source == "left femoral head only"
    assert result["pelvic_tilt"].value == pytest.approx(15.0, abs=ANGLE_TOL)


def test_same_landmarks_always_give_the_same_numbers_whatever_their_order():
    pixels = to_pixels(Spine(slip_l4_l5=7.0).points_mm(), rotate_deg=11.0, spacing=(0.17, 0.11))
    first = compute_measures(pixels, (0.17, 0.11)).as_dict()
    names = list(pixels)
    shuffler = random.Random(8)  # fixed seed: the test is deterministic too
    for _ in range(5):
        shuffler.shuffle(names)
        again = compute_measures({n: pixels[n] for n in names}, [0.17, 0.11]).as_dict()
        assert again == first  # exact equality, not approximate


def test_numpy_points_and_spacing_are_accepted():
    pixels = to_pixels(Spine().points_mm())
    as_numpy = {k: np.array(v) for k, v in pixels.items()}
    expected = compute_measures(pixels, 0.15).as_dict()
    assert compute_measures(as_numpy, np.array([0.15, 0.15])).as_dict() == expected


def test_schwab_modifiers_against_srs_schwab_classification():
    """PI−LL: 0 < 10°, + 10–20°, ++ > 20°; PT: 0 < 20°, + 20–30°, ++ > 30°
    (Schwab et al. Spine 2012; Terran et al. Neurosurgery 2013) [UNVERIFIED]."""
    assert [schwab_pi_ll_modifier(v) for v in (-5.0, 9.99, 10.0, 20.0, 20.01)] == [
        "0",
        "0",
        "+",
        "+",
        "++",
    ]
    assert [schwab_pt_modifier(v) for v in (19.9, 20.0, 30.0, 30.5)] == ["0", "+", "+", "++"]


def test_pi_ll_mismatch_is_graded_in_the_result():
    spine = Spine(upper_lumbar=0.0)  # LL = 12 + 3 + 10 + 2 = 27°, PI = 55° → mismatch 28°
    result = compute_measures(to_pixels(spine.points_mm()), 0.15)
    assert result["pi_ll_mismatch"].value == pytest.approx(28.0, abs=ANGLE_TOL)
    assert result.grades["schwab_pi_ll"].code == "++"
    assert result.grades["schwab_pi_ll"].label == "marked deformity"


# --- the guided tool's steps and the definitions table ------------------------------------------


def test_landmark_steps_cover_every_landmark_once_in_cranio_caudal_order():
    names = [step.name for step in LANDMARK_STEPS]
    assert len(names) == len(set(names))
    assert set(names) == set(LANDMARK_NAMES) - {"hip_axis"}
    assert names[0] == "L1_superior_anterior"
    assert names[-2:] == ["femoral_head_left", "femoral_head_right"]
    step = {s.name: s for s in LANDMARK_STEPS}["L4_superior_anterior"]
    assert step.instruction.startswith("Click the anterior-superior corner of L4")
    assert "segmental_lordosis_l4_l5" in step.enables


def test_every_measure_is_enabled_by_some_step_and_has_a_formula_and_a_source():
    enabled = {name for step in LANDMARK_STEPS for name in step.enables}
    assert enabled == set(MEASURES_BY_NAME)
    assert set(_FORMULAS) == set(MEASURES_BY_NAME)
    for definition in MEASURE_DEFINITIONS:
        assert definition.source and definition.method
        assert set(definition.requires) <= set(LANDMARK_NAMES)
    assert len(CORNER_NAMES) == 12


# --- bad input ----------------------------------------------------------------------------------


def _good() -> dict[str, Point]:
    return to_pixels(Spine().points_mm())


@pytest.mark.parametrize(
    "change, message",
    [
        ({"S1_superior_anterior": (math.nan, 10.0)}, "non-finite"),
        ({"S1_superior_anterior": (math.inf, 10.0)}, "non-finite"),
        ({"S1_superior_anterior": (1.0, 2.0, 3.0)}, "pair of numbers"),
        ({"S1_superior_anterior": "12,40"}, "pair of numbers"),
        ({"S1_superior_anterior": (True, 2.0)}, "pair of numbers"),
        ({"L4_superoir_anterior": (1.0, 2.0)}, "Unknown landmark"),
        ({"hip_axis": (1.0, 2.0)}, "either the two femoral heads"),
    ],
)
def test_bad_landmarks_raise_a_clear_error(change, message):
    with pytest.raises(RadiologyError, match=message):
        compute_measures({**_good(), **change}, 0.15)


def test_coincident_endplate_corners_raise_naming_the_endplate():
    points = _good()
    points["L5_superior_anterior"] = points["L5_superior_posterior"]
    with pytest.raises(RadiologyError, match="L5 superior coincide") as caught:
        compute_measures(points, 0.15)
    assert caught.value.landmark == "L5_superior_anterior"


def test_swapped_anterior_and_posterior_corners_are_caught():
    points = _good()
    points["L4_inferior_anterior"], points["L4_inferior_posterior"] = (
        points["L4_inferior_posterior"],
        points["L4_inferior_anterior"],
    )
    with pytest.raises(RadiologyError, match="L4 inferior endplate points the opposite way") as e:
        compute_measures(points, 0.15)
    assert e.value.landmark == "L4_inferior_anterior"


def test_hip_axis_on_the_sacral_endplate_midpoint_raises():
    points = Spine().points_mm()
    s1p, s1a = points["S1_superior_posterior"], points["S1_superior_anterior"]
    points["femoral_head_left"] = points["femoral_head_right"] = (
        (s1p[0] + s1a[0]) / 2,
        (s1p[1] + s1a[1]) / 2,
    )
    with pytest.raises(RadiologyError, match="hip axis lies on the midpoint"):
        compute_measures(to_pixels(points), 0.15)


@pytest.mark.parametrize(
    "spacing",
    [0, -0.1, (0.15, 0.0), (0.15, -1.0), (math.nan, 0.15), (0.15, math.inf), "0.15", (0.1,)],
)
def test_zero_negative_or_malformed_spacing_raises(spacing):
    with pytest.raises(RadiologyError, match=r"[Pp]ixel spacing"):
        compute_measures(_good(), spacing)


def test_radiology_error_is_a_value_error_of_the_core():
    assert issubclass(RadiologyError, ValueError)
    assert issubclass(RadiologyError, FusiontrackError)


def test_motion_limits_must_be_positive():
    with pytest.raises(RadiologyError):
        MotionLimits(max_angle_deg=0.0, max_translation_mm=3.0)
    assert replace(FUSION_MOTION_LIMITS_DEFAULT, max_angle_deg=3.0).max_angle_deg == 3.0


def test_grading_a_non_finite_value_raises():
    with pytest.raises(RadiologyError):
        meyerding_grade(math.nan)
