"""State changes of the imaging app, each one transaction with its audit entry.

Views authorise (registry access helpers) and validate, then call these. Audit entries go
through the registry's services/audit modules, so radiographs and landmark sets sit in the same
trail as the rest of the patient's record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from fusiontrack.core.radiology import Measures, compute_measures
from fusiontrack.imaging import conf, deid, storage
from fusiontrack.imaging.decode import DecodedImage, decode_file
from fusiontrack.imaging.errors import ImagingError
from fusiontrack.imaging.models import LandmarkSet, Radiograph
from fusiontrack.imaging.preview import render_preview
from fusiontrack.registry import audit
from fusiontrack.registry import services as registry_services
from fusiontrack.registry.models import Episode

#: Manual calibration bounds (mm per pixel): outside this the input is a typo, not a film.
#: Detectors run ~0.05–0.2 mm/px and scanned films ~0.04–0.5; chosen loosely [not clinical].
MIN_MM_PER_PIXEL, MAX_MM_PER_PIXEL = 0.005, 5.0


class StaleLandmarks(Exception):
    """Someone saved a newer landmark set after this reader loaded the tool."""


@dataclass(frozen=True)
class Upload:
    """What the upload form hands over: the file's chunks and the reader's choices."""

    chunks: Iterable[bytes]
    kind: str
    acquired_on: dt.date | None
    mm_per_pixel: float | None


def _store_upload(chunks: Iterable[bytes]) -> tuple[str, int, str, DecodedImage]:
    """Write the upload under a temporary random name, then decode it; delete it on failure."""
    digest = hashlib.sha256()

    def hashed() -> Iterable[bytes]:
        for chunk in chunks:
            digest.update(chunk)
            yield chunk

    temp = storage.new_name("dcm")
    size = storage.write_chunks(temp, hashed(), limit=conf.max_upload_bytes())
    try:
        if size == 0:
            raise ImagingError("The file is empty; choose the radiograph file again.")
        decoded = decode_file(storage.path_for(temp), max_pixels=conf.max_pixels())
    except BaseException:
        storage.delete(temp)
        raise
    final = storage.new_name(storage.EXTENSIONS[decoded.file_format])
    storage.path_for(final).parent.mkdir(mode=0o700, exist_ok=True)
    storage.path_for(temp).rename(storage.path_for(final))
    return final, size, digest.hexdigest(), decoded


def check_mm_per_pixel(value: float) -> float:
    if not math.isfinite(value) or not MIN_MM_PER_PIXEL <= value <= MAX_MM_PER_PIXEL:
        raise ImagingError(
            f"{value:g} mm per pixel is outside {MIN_MM_PER_PIXEL}–{MAX_MM_PER_PIXEL}; check the "
            "number (a digital radiograph is typically around 0.1–0.2 mm per pixel)."
        )
    return value


def ingest(
    request: HttpRequest | None, episode: Episode, upload: Upload, *, role: str, user: Any = None
) -> Radiograph:
    """Store, decode and preview an upload, then create its Radiograph row (audited)."""
    name, size, sha256, decoded = _store_upload(upload.chunks)
    preview_name = storage.new_name("png")
    try:
        acquired_on = upload.acquired_on or decoded.acquired_on
        if acquired_on is None:
            raise ImagingError(
                "The file does not say when the film was taken; enter the acquisition date."
            )
        spacing, source, calibration = decoded.spacing, decoded.spacing_source, {}
        if upload.mm_per_pixel is not None:
            mm = check_mm_per_pixel(upload.mm_per_pixel)
            spacing, source = (mm, mm), "manual"
            calibration = {"method": "typed", "mm_per_pixel": mm}
        data, preview_w, preview_h = render_preview(decoded.pixels, conf.preview_max_side())
        storage.write_bytes(preview_name, data)
        radiograph = Radiograph(
            patient_id=episode.patient_id,
            episode=episode,
            kind=upload.kind,
            modality=decoded.modality,
            acquired_on=acquired_on,
            file_format=decoded.file_format,
            file_name=name,
            file_size=size,
            sha256=sha256,
            transfer_syntax=decoded.transfer_syntax,
            width=decoded.width,
            height=decoded.height,
            preview_name=preview_name,
            preview_width=preview_w,
            preview_height=preview_h,
            spacing_row_mm=spacing[0] if spacing else None,
            spacing_col_mm=spacing[1] if spacing else None,
            spacing_source=source,
            calibration=calibration,
            magnification_factor=decoded.magnification_factor,
            burned_in_annotation=decoded.burned_in_annotation[:3],
            display_notes=list(decoded.notes),
            uploaded_by=user if user is not None else getattr(request, "user", None),
        )
        registry_services.create_record(request, radiograph, role=role)
    except BaseException:
        storage.delete(name, preview_name)
        raise
    return radiograph


@transaction.atomic
def calibrate_line(
    request: HttpRequest | None,
    radiograph: Radiograph,
    *,
    start: Sequence[float],
    end: Sequence[float],
    length_mm: float,
    role: str,
) -> Radiograph:
    """Manual calibration from a line of known length drawn on the film (square pixels)."""
    pixels = math.dist(start, end)
    if not math.isfinite(pixels) or pixels < 5:
        raise ImagingError("Draw the calibration line between two points at least 5 pixels apart.")
    if not math.isfinite(length_mm) or length_mm <= 0:
        raise ImagingError("Enter the real length of the line in millimetres (a positive number).")
    mm = check_mm_per_pixel(length_mm / pixels)
    calibration = {
        "method": "line",
        "start": [float(v) for v in start],
        "end": [float(v) for v in end],
        "length_mm": float(length_mm),
        "mm_per_pixel": mm,
    }
    return set_calibration(request, radiograph, mm, calibration, role=role)


@transaction.atomic
def set_calibration(
    request: HttpRequest | None,
    radiograph: Radiograph,
    mm_per_pixel: float,
    calibration: Mapping[str, Any],
    *,
    role: str,
) -> Radiograph:
    mm = check_mm_per_pixel(mm_per_pixel)
    before = audit.snapshot(radiograph)
    radiograph.spacing_row_mm = radiograph.spacing_col_mm = mm
    radiograph.spacing_source = "manual"
    radiograph.calibration = dict(calibration)
    registry_services.update_record(
        request, radiograph, before=before, expected_version=None, role=role
    )
    return radiograph


def measure(radiograph: Radiograph, landmarks: Mapping[str, Sequence[float]]) -> Measures:
    """The core's measures for points on this film (RadiologyError for bad points)."""
    spacing = radiograph.spacing
    if spacing is None:
        raise ImagingError(
            "This film is not calibrated: draw a line of known length or enter mm per pixel "
            "before measuring."
        )
    return compute_measures(landmarks, spacing)


def measures_payload(measures: Measures) -> dict[str, Any]:
    """What is stored and sent to the browser: flat values plus facing and reasons."""
    return {
        "facing": measures.facing,
        "hip_axis_source": measures.hip_axis_source,
        "values": measures.as_dict(),
        "reasons": {m.name: m.reason for m in measures if m.reason},
    }


def latest_version(radiograph: Radiograph) -> int:
    return radiograph.landmark_sets.aggregate(v=Max("version"))["v"] or 0


@transaction.atomic
def save_landmarks(
    request: HttpRequest | None,
    radiograph: Radiograph,
    landmarks: Mapping[str, Sequence[float]],
    *,
    based_on_version: int | None,
    role: str,
    user: Any = None,
) -> LandmarkSet:
    """Save a new version of the landmarks with the core's measures, who and when (audited).

    `based_on_version` is the version the reader started from; a newer one saved meanwhile
    raises StaleLandmarks instead of silently becoming an older version.
    """
    Radiograph.objects.select_for_update().filter(pk=radiograph.pk).first()
    current = latest_version(radiograph)
    if based_on_version is not None and based_on_version != current:
        raise StaleLandmarks(
            f"Version {current} of these landmarks was saved while you were measuring. Your "
            "points are still on screen; reload to compare, then place and save them again."
        )
    spacing = radiograph.spacing
    measures = measure(radiograph, landmarks)
    assert spacing is not None  # measure() refused an uncalibrated film
    landmark_set = LandmarkSet(
        radiograph=radiograph,
        version=current + 1,
        landmarks={name: [float(x), float(y)] for name, (x, y) in landmarks.items()},
        measures=measures_payload(measures),
        spacing_row_mm=spacing[0],
        spacing_col_mm=spacing[1],
        spacing_source=radiograph.spacing_source,
        measured_by=user if user is not None else getattr(request, "user", None),
        measured_at=timezone.now(),
    )
    landmark_set.radiograph = radiograph
    registry_services.create_record(request, landmark_set, role=role)
    return landmark_set


def delete_radiograph(request: HttpRequest | None, radiograph: Radiograph, *, role: str) -> None:
    """Delete the row (audited, old values kept in the audit trail); files go after commit."""
    registry_services.delete_record(request, radiograph, role=role)


def original_path(radiograph: Radiograph) -> Path:
    return storage.path_for(radiograph.file_name)


def preview_path(radiograph: Radiograph) -> Path:
    return storage.path_for(radiograph.preview_name)


def deidentified_copy(radiograph: Radiograph, *, study_id: str, timepoint: str = "") -> bytes:
    """Research copy of a film: DICOM through `deid.deidentify_dicom`, PNG/JPEG as clean PNG.

    For the de-identified export (issue 6): it writes the bytes under its own study-id based
    name and audits the export; this function reads no request and writes nothing.
    """
    source = original_path(radiograph)
    if radiograph.file_format == "dicom":
        label = timepoint or radiograph.kind
        return deid.deidentify_dicom(source, study_id=study_id, timepoint=label)
    return deid.deidentify_bitmap(source)
