"""Forms and JSON payloads of the imaging views (one schema per payload)."""

from __future__ import annotations

from typing import Annotated, Any

from django import forms
from pydantic import BaseModel, ConfigDict, Field

from fusiontrack.core import vocab
from fusiontrack.core.radiology import LANDMARK_NAMES
from fusiontrack.imaging.models import RADIOGRAPH_KINDS
from fusiontrack.imaging.services import MAX_MM_PER_PIXEL, MIN_MM_PER_PIXEL


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Radiograph file",
        help_text="DICOM (preferred: calibrated from the file), PNG or JPEG.",
    )
    kind = forms.ChoiceField(label="Film", choices=RADIOGRAPH_KINDS)
    acquired_on = forms.DateField(
        label="Taken on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Read from the DICOM file when left blank; required for PNG/JPEG.",
    )
    mm_per_pixel = forms.FloatField(
        label="Millimetres per pixel",
        required=False,
        min_value=MIN_MM_PER_PIXEL,
        max_value=MAX_MM_PER_PIXEL,
        widget=forms.NumberInput(attrs={"step": "any"}),
        help_text="PNG/JPEG only, if known (e.g. 0.143). Otherwise calibrate on the film by "
        "drawing a line of known length. For DICOM this overrides the file's spacing.",
    )


class CalibrationForm(forms.Form):
    """Either a typed mm/pixel, or a line (x1, y1)–(x2, y2) in original pixels and its length."""

    mm_per_pixel = forms.FloatField(
        label="Millimetres per pixel",
        required=False,
        min_value=MIN_MM_PER_PIXEL,
        max_value=MAX_MM_PER_PIXEL,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    x1 = forms.FloatField(required=False, widget=forms.HiddenInput)
    y1 = forms.FloatField(required=False, widget=forms.HiddenInput)
    x2 = forms.FloatField(required=False, widget=forms.HiddenInput)
    y2 = forms.FloatField(required=False, widget=forms.HiddenInput)
    length_mm = forms.FloatField(
        label="Length of the drawn line (mm)",
        required=False,
        min_value=0.1,
        max_value=2000,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        line = [data.get(k) for k in ("x1", "y1", "x2", "y2")]
        has_line = all(v is not None for v in line)
        if data.get("mm_per_pixel") is None and not (has_line and data.get("length_mm")):
            raise forms.ValidationError(
                "Enter millimetres per pixel, or draw a line on the film and enter its length."
            )
        data["line"] = line if has_line else None
        return data


class FusionFromMotionForm(forms.Form):
    """Record a fusion assessment carrying the motion computed from the two films."""

    level = forms.ChoiceField(choices=())
    assessment_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    judgement = forms.ChoiceField(choices=vocab.FUSION_JUDGEMENTS)
    bridwell_grade = forms.ChoiceField(choices=(("", "—"), *vocab.BRIDWELL_GRADES), required=False)
    notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, levels: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(lv, vocab.label(vocab.LEVELS, lv)) for lv in levels]


Point = Annotated[tuple[float, float], Field()]


class LandmarksPayload(BaseModel):
    """POST body of the compute and save endpoints."""

    model_config = ConfigDict(extra="forbid", strict=True)

    landmarks: dict[str, Point] = Field(max_length=len(LANDMARK_NAMES))
    based_on_version: int | None = Field(default=None, ge=0)


def first_error(exc: Any) -> str:
    """One short message from a pydantic ValidationError."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "invalid")
