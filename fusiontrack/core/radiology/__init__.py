"""Radiographic geometry of the lumbar spine and pelvis from landmarks on lateral films.

Pure Python, no Django: the measuring tool, reports and the cohort dashboard all call
`compute_measures` (one standing film) and `compute_motion` (a flexion–extension pair).

Landmarks (image pixels, y down), in the order the guided tool asks for them (`LANDMARK_STEPS`):
``L1_superior_{anterior,posterior}``, ``L4_superior_*``, ``L4_inferior_*``, ``L5_superior_*``,
``L5_inferior_*``, ``S1_superior_*``, ``femoral_head_left``, ``femoral_head_right``; or
``hip_axis`` instead of the femoral heads. Definitions, units and sources: `MEASURE_DEFINITIONS`.
"""

from __future__ import annotations

from fusiontrack.core.errors import RadiologyError
from fusiontrack.core.radiology.definitions import (
    LANDMARK_STEPS,
    MEASURE_DEFINITIONS,
    MEASURES_BY_NAME,
    LandmarkStep,
    MeasureDefinition,
)
from fusiontrack.core.radiology.grading import (
    FUSION_MOTION_LIMITS_DEFAULT,
    MotionLimits,
    meyerding_grade,
    schwab_pi_ll_modifier,
    schwab_pt_modifier,
)
from fusiontrack.core.radiology.landmarks import (
    CORNER_NAMES,
    ENDPLATES,
    LANDMARK_NAMES,
    Facing,
    Landmarks,
    PixelSpacing,
    parse_pixel_spacing,
)
from fusiontrack.core.radiology.measures import Grade, Measure, Measures, compute_measures
from fusiontrack.core.radiology.motion import MOTION_LEVELS, SegmentalMotion, compute_motion

__all__ = [
    "CORNER_NAMES",
    "ENDPLATES",
    "FUSION_MOTION_LIMITS_DEFAULT",
    "LANDMARK_NAMES",
    "LANDMARK_STEPS",
    "MEASURES_BY_NAME",
    "MEASURE_DEFINITIONS",
    "MOTION_LEVELS",
    "Facing",
    "Grade",
    "LandmarkStep",
    "Landmarks",
    "Measure",
    "MeasureDefinition",
    "Measures",
    "MotionLimits",
    "PixelSpacing",
    "RadiologyError",
    "SegmentalMotion",
    "compute_measures",
    "compute_motion",
    "meyerding_grade",
    "parse_pixel_spacing",
    "schwab_pi_ll_modifier",
    "schwab_pt_modifier",
]
