"""Read an uploaded radiograph (DICOM, PNG or JPEG) into 8-bit display pixels and its calibration.

No Django here: the web upload, the CLI and tests call `sniff_format` and `decode_file`.

Display pipeline for DICOM (PS3.3 C.11 as implemented by pydicom.pixels): stored values →
Modality LUT / rescale → VOI LUT Sequence, else Window Center/Width (LINEAR, LINEAR_EXACT,
SIGMOID) → 8 bit over the VOI output range; MONOCHROME1 is inverted last so bone is white. A film
without any VOI attributes gets an automatic window from the 0.5th to the 99.5th percentile (a
display choice of this app, not a standard). Calibration: Pixel Spacing (0028,0030) first, else
Imager Pixel Spacing (0018,1164) — measured at the detector, so distances are magnified by the
beam geometry — else none (the user calibrates by hand).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from fusiontrack.core.radiology import RadiologyError, parse_pixel_spacing
from fusiontrack.imaging.errors import DecoderMissing, ImagingError

FileFormat = Literal["dicom", "png", "jpeg"]
SpacingSource = Literal["pixel_spacing", "imager_pixel_spacing", ""]

_DICOM_MAGIC_OFFSET = 128
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
SNIFF_BYTES = 132
#: Percentiles of the automatic window for films that carry none (display choice).
AUTO_WINDOW_PERCENTILES = (0.5, 99.5)


@dataclass(frozen=True)
class DecodedImage:
    """Display-ready pixels (uint8, rows × columns) and what the file says about them."""

    pixels: np.ndarray
    file_format: FileFormat
    spacing: tuple[float, float] | None = None  # (row_mm, col_mm)
    spacing_source: SpacingSource = ""
    acquired_on: dt.date | None = None
    modality: str = ""
    transfer_syntax: str = ""
    magnification_factor: float | None = None
    burned_in_annotation: str = ""  # DICOM (0028,0301): "YES", "NO" or "" (not stated)
    notes: tuple[str, ...] = field(default=())

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def sniff_format(head: bytes) -> FileFormat:
    """The file type from its first bytes (never from its name)."""
    if head[_DICOM_MAGIC_OFFSET : _DICOM_MAGIC_OFFSET + 4] == b"DICM":
        return "dicom"
    if head.startswith(_PNG_MAGIC):
        return "png"
    if head.startswith(_JPEG_MAGIC):
        return "jpeg"
    raise ImagingError(
        "This file is not a DICOM, PNG or JPEG image (its content was checked, not its name). "
        "Export the radiograph from the PACS as a DICOM file (Part 10, with the 'DICM' header), "
        "or save it as PNG or JPEG."
    )


def decode_file(path: Path, *, max_pixels: int) -> DecodedImage:
    """Decode a stored upload; raises ImagingError with a message for the user."""
    with path.open("rb") as handle:
        kind = sniff_format(handle.read(SNIFF_BYTES))
    if kind == "dicom":
        return _decode_dicom(path, max_pixels)
    return _decode_bitmap(path, kind, max_pixels)


# --- DICOM --------------------------------------------------------------------------------------


def _read_dataset(path: Path) -> Any:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path)
    except (InvalidDicomError, EOFError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ImagingError(
            f"The DICOM file could not be read ({exc}). It may be truncated; export it again."
        ) from None


def check_decoder(transfer_syntax: Any) -> None:
    """Raise a clear error when this compressed transfer syntax cannot be decoded here."""
    from pydicom.pixels import get_decoder

    if not transfer_syntax.is_compressed:
        return
    label = f"{transfer_syntax.name} ({transfer_syntax})"
    try:
        decoder = get_decoder(transfer_syntax)
    except NotImplementedError:
        raise DecoderMissing(
            f"This DICOM file is compressed with {label}; no decoder for that transfer syntax "
            "exists in pydicom, so fusiontrack cannot display it. Export the film uncompressed "
            "(Explicit VR Little Endian) or with JPEG/JPEG 2000 compression.",
            transfer_syntax=str(transfer_syntax),
            packages=(),
        ) from None
    if decoder.is_available:
        return
    options = tuple(decoder.missing_dependencies)
    raise DecoderMissing(
        f"This DICOM file is compressed with {label} and no decoder for it is installed on "
        "this server. Ask your administrator to install the imaging decoders "
        "(pip install 'fusiontrack[dicom-codecs]'), i.e. one of: "
        f"{'; '.join(options)}. Or export the film uncompressed (Explicit VR Little Endian).",
        transfer_syntax=str(transfer_syntax),
        packages=options,
    )


def _spacing_pair(value: Any) -> tuple[float, float] | None:
    try:
        spacing = parse_pixel_spacing([float(v) for v in value])
    except (RadiologyError, TypeError, ValueError):
        return None
    return spacing.row_mm, spacing.col_mm


def dicom_spacing(ds: Any) -> tuple[tuple[float, float] | None, SpacingSource]:
    """(row_mm, col_mm) and which attribute gave it: Pixel Spacing first, then Imager."""
    candidates: list[tuple[Any, SpacingSource]] = [
        (ds.get("PixelSpacing"), "pixel_spacing"),
    ]
    shared = ds.get("SharedFunctionalGroupsSequence")  # enhanced objects keep it nested
    if shared:
        measures = shared[0].get("PixelMeasuresSequence")
        if measures:
            candidates.append((measures[0].get("PixelSpacing"), "pixel_spacing"))
    candidates.append((ds.get("ImagerPixelSpacing"), "imager_pixel_spacing"))
    for value, source in candidates:
        if value is not None and (pair := _spacing_pair(value)) is not None:
            return pair, source
    return None, ""


def _dicom_date(ds: Any) -> dt.date | None:
    for keyword in ("AcquisitionDate", "ContentDate", "SeriesDate", "StudyDate"):
        raw = str(ds.get(keyword) or "").strip()
        if len(raw) >= 8:
            try:
                return dt.datetime.strptime(raw[:8], "%Y%m%d").date()
            except ValueError:
                continue
    return None


def _voi_output_range(ds: Any) -> tuple[float, float]:
    """Output range of the VOI stage pydicom applied (PS3.3 C.11.2.1.2; LUT: C.11.2.1.1)."""
    if ds.get("VOILUTSequence"):
        bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
        return 0.0, float(2**bits - 1)
    bits = int(ds.BitsStored)
    if ds.get("ModalityLUTSequence"):
        low, high = 0.0, float(2 ** int(ds.ModalityLUTSequence[0].LUTDescriptor[2]) - 1)
    elif int(ds.get("PixelRepresentation", 0)) == 0:
        low, high = 0.0, float(2**bits - 1)
    else:
        low, high = float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is not None and intercept is not None:
        low, high = low * float(slope) + float(intercept), high * float(slope) + float(intercept)
    return min(low, high), max(low, high)


def to_uint8(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Linear map of [low, high] onto 0–255, clipped."""
    if not high > low:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (values.astype(np.float32) - np.float32(low)) * np.float32(255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def auto_window(values: np.ndarray) -> tuple[float, float]:
    low, high = np.percentile(values, AUTO_WINDOW_PERCENTILES)
    if not high > low:
        low, high = float(values.min()), float(values.max())
    return float(low), float(high)


def _monochrome_to_uint8(arr: np.ndarray, ds: Any, notes: list[str]) -> np.ndarray:
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    values = apply_modality_lut(arr, ds)
    if ds.get("VOILUTSequence"):
        if not np.issubdtype(values.dtype, np.integer):
            values = np.rint(values).astype(np.int32)
        display = apply_voi_lut(values, ds, index=0, prefer_lut=True)
        notes.append("VOI LUT from the file applied")
        low, high = _voi_output_range(ds)
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        display = apply_voi_lut(values, ds, index=0, prefer_lut=False)
        center, width = ds.WindowCenter, ds.WindowWidth
        center = center[0] if ds["WindowCenter"].VM > 1 else center
        width = width[0] if ds["WindowWidth"].VM > 1 else width
        notes.append(f"window from the file: centre {float(center):g}, width {float(width):g}")
        low, high = _voi_output_range(ds)
    else:
        display = values
        low, high = auto_window(values)
        notes.append("no window in the file: automatic window (0.5–99.5th percentile)")
    image = to_uint8(display, low, high)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        notes.append("MONOCHROME1: inverted so that bone is white")
        image = 255 - image
    return image


def _colour_to_uint8(arr: np.ndarray, ds: Any) -> np.ndarray:
    from PIL import Image
    from pydicom.pixels import apply_color_lut

    if ds.PhotometricInterpretation == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
    if arr.dtype != np.uint8:
        arr = to_uint8(arr, *auto_window(arr))
    return np.asarray(Image.fromarray(arr).convert("L"))


def _decode_dicom(path: Path, max_pixels: int) -> DecodedImage:
    from pydicom.uid import ExplicitVRLittleEndian

    ds = _read_dataset(path)
    if "PixelData" not in ds:
        raise ImagingError(
            "This DICOM file holds no image (no Pixel Data); it may be a report or a "
            "presentation state. Export the radiograph image itself."
        )
    rows, columns = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
    if rows <= 0 or columns <= 0:
        raise ImagingError("The DICOM file gives no image size (Rows/Columns); export it again.")
    _check_pixel_count(rows * columns, max_pixels)
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    syntax = syntax or ExplicitVRLittleEndian
    check_decoder(syntax)
    notes: list[str] = []
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        notes.append(f"{frames} frames: the first is shown")
    try:
        from pydicom.pixels import pixel_array

        arr = pixel_array(ds, index=0 if frames > 1 else None)
    except (ValueError, NotImplementedError, RuntimeError, AttributeError, KeyError) as exc:
        raise ImagingError(
            f"The image data of this DICOM file could not be decoded ({exc}). "
            "Export the film again, uncompressed if possible."
        ) from None
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric in ("MONOCHROME1", "MONOCHROME2"):
        pixels = _monochrome_to_uint8(arr, ds, notes)
    else:
        pixels = _colour_to_uint8(arr, ds)
        notes.append(f"{photometric}: converted to greyscale")
    spacing, source = dicom_spacing(ds)
    factor = ds.get("EstimatedRadiographicMagnificationFactor")
    return DecodedImage(
        pixels=np.ascontiguousarray(pixels),
        file_format="dicom",
        spacing=spacing,
        spacing_source=source,
        acquired_on=_dicom_date(ds),
        modality=str(ds.get("Modality", "") or "")[:16],
        transfer_syntax=str(syntax),
        magnification_factor=float(factor) if factor else None,
        burned_in_annotation=str(ds.get("BurnedInAnnotation", "") or "").upper(),
        notes=tuple(notes),
    )


def _check_pixel_count(count: int, max_pixels: int) -> None:
    if count > max_pixels:
        raise ImagingError(
            f"The image has {count:,} pixels; the limit here is {max_pixels:,}. "
            "Export a smaller or cropped version of the film."
        )


# --- PNG / JPEG ---------------------------------------------------------------------------------


def _decode_bitmap(path: Path, kind: FileFormat, max_pixels: int) -> DecodedImage:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            width, height = opened.size
            _check_pixel_count(width * height, max_pixels)
            image = ImageOps.exif_transpose(opened)
            image.load()
    except ImagingError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImagingError(
            f"The {kind.upper()} file could not be read ({exc}). It may be truncated; "
            "save it again."
        ) from None
    notes: list[str] = []
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image)
        pixels = to_uint8(values, *auto_window(values))
        notes.append(f"{image.mode} image: automatic window (0.5–99.5th percentile)")
    else:
        pixels = np.asarray(image.convert("L"))
    return DecodedImage(pixels=np.ascontiguousarray(pixels), file_format=kind, notes=tuple(notes))
