"""De-identified research copies: no identifying attribute survives (DICOM PS3.15 Table E.1-1
attributes listed in deid.PHI_ATTRIBUTES), new UIDs, calibration kept, private tags dropped,
burned-in annotation refused, PNG/JPEG metadata stripped."""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.datadict import tag_for_keyword

from fusiontrack.imaging.deid import (
    KEPT_ATTRIBUTES,
    PHI_ATTRIBUTES,
    deidentify_bitmap,
    deidentify_dicom,
    leftover_identifiers,
)
from fusiontrack.imaging.errors import DeidentificationError
from tests.imaging_factory import PATIENT, make_bitmap, make_dicom


def test_every_listed_keyword_is_a_dicom_attribute():
    unknown = [k for k in (*PHI_ATTRIBUTES, *KEPT_ATTRIBUTES) if tag_for_keyword(k) is None]
    assert unknown == []
    assert not set(PHI_ATTRIBUTES) & set(KEPT_ATTRIBUTES)


def test_copy_has_no_patient_name_id_birth_date_or_other_identifier():
    original = make_dicom(
        extra={"OtherPatientIDs": "OLD-9", "PatientAddress": "1 Spine Road", "StudyID": "S1"}
    )
    copy = deidentify_dicom(original, study_id="FT-0042", timepoint="preop")
    ds = pydicom.dcmread(io.BytesIO(copy))
    assert ds.PatientName == "FT-0042" and ds.PatientID == "FT-0042"
    assert "PatientBirthDate" not in ds and "StudyDate" not in ds
    assert leftover_identifiers(copy) == []
    raw = copy.decode("latin-1")
    assert "PatientSex" not in ds
    identifying = [v for v in PATIENT.values() if len(v) > 2]
    for value in (*identifying, "Berg", "Anna", "OLD-9", "1 Spine Road"):
        assert value not in raw, value
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.ClinicalTrialTimePointID == "preop"


def test_copy_keeps_calibration_and_pixels_with_new_uids():
    original_bytes = make_dicom(pixel_spacing=(0.15, 0.14), imager_spacing=(0.17, 0.17))
    original = pydicom.dcmread(io.BytesIO(original_bytes))
    ds = pydicom.dcmread(io.BytesIO(deidentify_dicom(original_bytes, study_id="FT-1")))
    assert [float(v) for v in ds.PixelSpacing] == [0.15, 0.14]
    assert [float(v) for v in ds.ImagerPixelSpacing] == [0.17, 0.17]
    assert ds.PixelData == original.PixelData
    assert ds.pixel_array.shape == (400, 300)
    for uid in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        assert ds[uid].value != original[uid].value
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert not any(element.tag.is_private for element in ds)


def test_compressed_pixel_data_is_copied_unchanged():
    from pydicom.uid import JPEGLSLossless

    data = make_dicom(transfer_syntax=JPEGLSLossless, encapsulated=[b"\xff\xd8frame"])
    ds = pydicom.dcmread(io.BytesIO(deidentify_dicom(data, study_id="FT-2")))
    assert ds.file_meta.TransferSyntaxUID == JPEGLSLossless
    assert b"\xff\xd8frame" in ds.PixelData


def test_burned_in_annotation_is_refused():
    data = make_dicom(extra={"BurnedInAnnotation": "YES"})
    with pytest.raises(DeidentificationError, match="burned into the image"):
        deidentify_dicom(data, study_id="FT-3")


def test_bitmap_copy_drops_text_metadata():
    original = make_bitmap("PNG", size=(50, 40))
    assert b"Berg^Anna" in original
    copy = deidentify_bitmap(original)
    assert b"Berg" not in copy and copy.startswith(b"\x89PNG")
    from PIL import Image

    assert Image.open(io.BytesIO(copy)).size == (50, 40)
