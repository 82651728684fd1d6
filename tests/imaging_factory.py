"""Synthetic radiographs for the imaging tests: DICOM files built with pydicom, PNG/JPEG with
Pillow, and landmark sets inside the image. Nothing here is real patient data."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from fusiontrack.imaging.synthetic import PREOP

# The radiology benchmark's left-facing film (pixels, y down), scaled by 0.4 so that it fits a
# 1000 × 1000 image: L4–L5 slip, both femoral heads.
LANDMARKS_1000: dict[str, tuple[float, float]] = {
    name: (round(x * 0.4, 1), round(y * 0.4, 1)) for name, (x, y) in PREOP.items()
}

PATIENT = {
    "PatientName": "Berg^Anna",
    "PatientID": "N-1001",
    "PatientBirthDate": "19610412",
    "PatientSex": "F",
    "InstitutionName": "North Spine Centre",
    "ReferringPhysicianName": "Lind^Sofia",
    "AccessionNumber": "ACC-77",
    "StudyDate": "20250301",
    "AcquisitionDate": "20250301",
}


def gradient(rows: int, cols: int, *, bits: int = 12) -> np.ndarray:
    """Stored values rising left to right, with a bright block top-left (known positions)."""
    top = 2**bits - 1
    image = np.tile(np.linspace(0, top, cols, dtype=np.float64), (rows, 1))
    image[: rows // 4, : cols // 4] = top
    return image.astype(np.uint16)


def make_dicom(
    *,
    rows: int = 400,
    cols: int = 300,
    pixel_spacing: tuple[float, float] | None = (0.15, 0.14),
    imager_spacing: tuple[float, float] | None = None,
    photometric: str = "MONOCHROME2",
    window: tuple[float, float] | None = None,
    transfer_syntax: Any = None,
    pixels: np.ndarray | None = None,
    encapsulated: list[bytes] | None = None,
    extra: dict[str, Any] | None = None,
    private_tag: bool = True,
) -> bytes:
    """A DICOM Part 10 file (bytes) of a lateral lumbar CR film with identifying attributes."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    syntax = transfer_syntax or ExplicitVRLittleEndian
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # Computed Radiography Image Storage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "CR"
    ds.BodyPartExamined = "LSPINE"
    for keyword, value in {**PATIENT, **(extra or {})}.items():
        setattr(ds, keyword, value)
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.PixelRepresentation = 0
    if pixel_spacing:
        ds.PixelSpacing = [str(v) for v in pixel_spacing]
    if imager_spacing:
        ds.ImagerPixelSpacing = [str(v) for v in imager_spacing]
    if window:
        ds.WindowCenter, ds.WindowWidth = str(window[0]), str(window[1])
    if private_tag:
        ds.add_new(0x00091010, "LO", "private vendor note: Berg^Anna")
    if encapsulated is not None:
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        ds.PixelData = encapsulate(encapsulated)
        ds["PixelData"].VR = "OB"
        ds.LossyImageCompression = "01"
    else:
        data = gradient(rows, cols) if pixels is None else pixels
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.PixelData = data.astype("<u2").tobytes()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = syntax
    ds.file_meta = meta
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def make_bitmap(
    fmt: str = "PNG", *, size: tuple[int, int] = (1000, 1000), mode: str = "L"
) -> bytes:
    """A PNG/JPEG 'film': dark background, a light spine-like band, text metadata for PNG."""
    from PIL import Image, ImageDraw, PngImagePlugin

    image = Image.new(mode, size, 20)
    draw = ImageDraw.Draw(image)
    w, h = size
    for i in range(6):
        top = int(h * (0.1 + 0.13 * i))
        draw.rectangle((int(w * 0.3), top, int(w * 0.6), top + int(h * 0.09)), fill=200)
    buffer = io.BytesIO()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "Patient Berg^Anna N-1001")
        image.save(buffer, format="PNG", pnginfo=info)
    else:
        image.save(buffer, format=fmt, quality=92)
    return buffer.getvalue()


def make_jpeg_baseline_dicom(rows: int = 64, cols: int = 48) -> bytes:
    """A DICOM whose pixels are JPEG Baseline (decodable with Pillow, no extra package)."""
    from PIL import Image
    from pydicom.uid import JPEGBaseline8Bit

    frame = np.tile(np.linspace(0, 255, cols, dtype=np.uint8), (rows, 1))
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=95)
    return make_dicom(
        rows=rows, cols=cols, transfer_syntax=JPEGBaseline8Bit, encapsulated=[buffer.getvalue()]
    )
