"""Radiographs of an episode and the landmark sets measured on them.

A Radiograph's files live on disk (``storage``); the row keeps their random names, the image
size, and the calibration with its source. A LandmarkSet is one saved measurement: the points
(original image pixels, y down), the measures the core computed from them, the spacing used, who
measured and when. Saving again adds a new version; nothing is overwritten.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from fusiontrack.registry.models import ClinicalRecord, Episode, Patient

RADIOGRAPH_KINDS = (
    ("preop", "Pre-operative standing lateral"),
    ("postop", "Post-operative standing lateral"),
    ("flexion", "Flexion lateral"),
    ("extension", "Extension lateral"),
)
FILE_FORMATS = (("dicom", "DICOM"), ("png", "PNG"), ("jpeg", "JPEG"))
SPACING_SOURCES = (
    ("pixel_spacing", "DICOM Pixel Spacing (0028,0030)"),
    ("imager_pixel_spacing", "DICOM Imager Pixel Spacing (0018,1164), at the detector"),
    ("manual", "Manual calibration"),
    ("", "Not calibrated"),
)


class Radiograph(ClinicalRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="radiographs")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="radiographs")
    kind = models.CharField(max_length=10, choices=RADIOGRAPH_KINDS)
    modality = models.CharField(
        max_length=16, blank=True, help_text="DICOM Modality (CR, DX...) or blank for PNG/JPEG."
    )
    acquired_on = models.DateField()
    file_format = models.CharField(max_length=5, choices=FILE_FORMATS)
    file_name = models.CharField(max_length=40, unique=True)
    file_size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    transfer_syntax = models.CharField(max_length=64, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    preview_name = models.CharField(max_length=40, unique=True)
    preview_width = models.PositiveIntegerField()
    preview_height = models.PositiveIntegerField()
    spacing_row_mm = models.FloatField(null=True, blank=True)
    spacing_col_mm = models.FloatField(null=True, blank=True)
    spacing_source = models.CharField(max_length=24, choices=SPACING_SOURCES, blank=True)
    calibration = models.JSONField(
        default=dict, blank=True, help_text="Manual calibration: the line drawn and its length."
    )
    magnification_factor = models.FloatField(
        null=True, blank=True, help_text="DICOM Estimated Radiographic Magnification Factor."
    )
    burned_in_annotation = models.CharField(max_length=3, blank=True)
    display_notes = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("acquired_on", "id")
        indexes = (models.Index(fields=["episode", "kind", "acquired_on"]),)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.acquired_on:%Y-%m-%d}"

    @property
    def spacing(self) -> tuple[float, float] | None:
        if self.spacing_row_mm and self.spacing_col_mm:
            return self.spacing_row_mm, self.spacing_col_mm
        return None


class LandmarkSet(models.Model):
    radiograph = models.ForeignKey(
        Radiograph, on_delete=models.CASCADE, related_name="landmark_sets"
    )
    version = models.PositiveIntegerField()
    landmarks = models.JSONField(help_text="{name: [x, y]} in original image pixels, y down.")
    measures = models.JSONField(
        help_text="compute_measures(...).as_dict() plus facing and hip-axis source."
    )
    spacing_row_mm = models.FloatField()
    spacing_col_mm = models.FloatField()
    spacing_source = models.CharField(max_length=24, choices=SPACING_SOURCES)
    measured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    measured_at = models.DateTimeField()

    class Meta:
        ordering = ("radiograph", "version")
        constraints = (
            models.UniqueConstraint(
                fields=["radiograph", "version"], name="landmark_set_one_row_per_version"
            ),
        )

    def __str__(self) -> str:
        return f"Landmarks v{self.version} of radiograph {self.radiograph_id}"

    @property
    def episode(self) -> Any:
        """So the registry's audit helpers find the patient and site of a landmark set."""
        return self.radiograph.episode
