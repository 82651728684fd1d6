"""De-identified copies of radiographs for research exports (issue 6 calls `deidentify_dicom`).

Method: an ALLOWLIST. The copy is a new dataset holding only the attributes in `KEPT_ATTRIBUTES`
(image pixel description, calibration, display window, equipment make) plus new UIDs and the
research study id; everything else — every attribute of `PHI_ATTRIBUTES`, all private tags,
sequences that reference other studies, free-text descriptions, dates and times — is left out.
`PHI_ATTRIBUTES` is the documented list of identifying attributes typically present on
radiographs, taken from DICOM PS3.15 Annex E, Table E.1-1 (Application Level Confidentiality
Profile Attributes) [UNVERIFIED: written from the standard's attribute names, not yet checked
line by line against the current edition]; the allowlist removes them all and tests assert that
none survives.

Pixel Spacing and Imager Pixel Spacing are kept, so measurements stay possible on the copy.
Identifiers burned into the pixels cannot be found this way: a film whose Burned In Annotation
(0028,0301) is YES is refused (DeidentificationError), one that does not say is copied with
Burned In Annotation left unstated for the researcher to check. PNG/JPEG copies are the pixels
only, re-encoded without any metadata (`deidentify_bitmap`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from fusiontrack.imaging.errors import DeidentificationError

#: Identifying attributes (pydicom keywords) from DICOM PS3.15 Table E.1-1 that radiographs
#: commonly carry. None may appear in a de-identified copy (the allowlist drops them all).
PHI_ATTRIBUTES: tuple[str, ...] = (
    # patient
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientSex",
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientMotherBirthName",
    "OtherPatientIDs",
    "OtherPatientNames",
    "OtherPatientIDsSequence",
    "MedicalRecordLocator",
    "EthnicGroup",
    "Occupation",
    "AdditionalPatientHistory",
    "PatientComments",
    # study, visit and request
    "AccessionNumber",
    "StudyID",
    "StudyDescription",
    "SeriesDescription",
    "ProtocolName",
    "ImageComments",
    "RequestingPhysician",
    "RequestedProcedureDescription",
    "PerformedProcedureStepDescription",
    "RequestAttributesSequence",
    "ReferencedPatientSequence",
    "ReferencedStudySequence",
    "AdmittingDiagnosesDescription",
    # people and places
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "ReferringPhysicianName",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "PhysiciansOfRecord",
    "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "OperatorsName",
    "StationName",
    "DeviceSerialNumber",
    # dates and times
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "InstanceCreationDate",
    "StudyTime",
    "SeriesTime",
    "AcquisitionTime",
    "ContentTime",
    "InstanceCreationTime",
    "AcquisitionDateTime",
    # unique identifiers (replaced by new ones)
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "FrameOfReferenceUID",
)

#: The only attributes copied from the original (pydicom keywords).
KEPT_ATTRIBUTES: tuple[str, ...] = (
    "SOPClassUID",
    "ImageType",
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "BodyPartExamined",
    "ViewPosition",
    "PatientOrientation",
    "ImageLaterality",
    "Laterality",
    "PixelSpacing",
    "ImagerPixelSpacing",
    "PixelSpacingCalibrationType",
    "EstimatedRadiographicMagnificationFactor",
    "DistanceSourceToDetector",
    "DistanceSourceToPatient",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "PlanarConfiguration",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "PixelAspectRatio",
    "SmallestImagePixelValue",
    "LargestImagePixelValue",
    "PixelPaddingValue",
    "RescaleIntercept",
    "RescaleSlope",
    "RescaleType",
    "ModalityLUTSequence",
    "WindowCenter",
    "WindowWidth",
    "VOILUTFunction",
    "VOILUTSequence",
    "PresentationLUTShape",
    "RedPaletteColorLookupTableDescriptor",
    "GreenPaletteColorLookupTableDescriptor",
    "BluePaletteColorLookupTableDescriptor",
    "RedPaletteColorLookupTableData",
    "GreenPaletteColorLookupTableData",
    "BluePaletteColorLookupTableData",
    "LossyImageCompression",
    "LossyImageCompressionRatio",
    "LossyImageCompressionMethod",
    "BurnedInAnnotation",
    "PixelData",
)

#: De-identification Method (0012,0063), LO: at most 64 characters.
METHOD = "fusiontrack allowlist copy; PS3.15 E.1-1 identifiers removed"


def deidentify_dicom(source: Path | bytes, *, study_id: str, timepoint: str = "") -> bytes:
    """A de-identified DICOM file (bytes) of `source`, labelled with the research `study_id`.

    `timepoint` (e.g. "preop", "12m") goes into Clinical Trial Time Point ID so a research copy
    can be placed on the pathway without dates. Raises DeidentificationError when the film
    declares burned-in annotation.
    """
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import generate_uid

    original = pydicom.dcmread(io.BytesIO(source) if isinstance(source, bytes) else source)
    if str(original.get("BurnedInAnnotation", "")).upper() == "YES":
        raise DeidentificationError(
            "This film declares identifying text burned into the image (Burned In Annotation = "
            "YES); it is left out of research exports. Export a clean image from the PACS."
        )
    copy = Dataset()
    for keyword in KEPT_ATTRIBUTES:
        if keyword in original:
            element = original[keyword]
            copy[element.tag] = element
    study_uid, series_uid, instance_uid = generate_uid(), generate_uid(), generate_uid()
    copy.StudyInstanceUID = study_uid
    copy.SeriesInstanceUID = series_uid
    copy.SOPInstanceUID = instance_uid
    copy.PatientName = study_id
    copy.PatientID = study_id
    copy.ClinicalTrialSubjectID = study_id
    if timepoint:
        copy.ClinicalTrialTimePointID = timepoint
    copy.PatientIdentityRemoved = "YES"
    copy.DeidentificationMethod = METHOD

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = original.get("SOPClassUID") or original.file_meta.get(
        "MediaStorageSOPClassUID"
    )
    meta.MediaStorageSOPInstanceUID = instance_uid
    meta.TransferSyntaxUID = original.file_meta.TransferSyntaxUID
    copy.file_meta = meta
    buffer = io.BytesIO()
    copy.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def deidentify_bitmap(source: Path | bytes) -> bytes:
    """PNG bytes of a PNG/JPEG film's pixels only (no EXIF, text chunks or ICC profile)."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as opened:
        image = ImageOps.exif_transpose(opened)
        clean = Image.new(image.mode, image.size)
        clean.paste(image)
    buffer = io.BytesIO()
    clean.save(buffer, format="PNG")
    return buffer.getvalue()


def leftover_identifiers(data: bytes) -> list[str]:
    """PHI_ATTRIBUTES still present in a DICOM (other than the replaced UIDs); for checks."""
    import pydicom

    ds: Any = pydicom.dcmread(io.BytesIO(data))
    replaced = {
        "PatientName",
        "PatientID",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "SOPInstanceUID",
    }
    found = [k for k in PHI_ATTRIBUTES if k in ds and k not in replaced]
    found += [f"private tag {elem.tag}" for elem in ds if elem.tag.is_private]
    return found
