"""Imaging views end to end on a real database: upload (DICOM, PNG), storage outside the
database, calibration, measuring through the JSON endpoints, access control and audit.

Personas from conftest: Dr Sofia Lind (surgeon, North) owns Anna Berg; Pia Berg (physio, North)
reads only; Dr Kim Park (surgeon, South) is an outsider; Rhea Novak is a researcher.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fusiontrack.core.radiology import compute_measures
from fusiontrack.imaging import services, storage
from fusiontrack.imaging.models import LandmarkSet, Radiograph
from fusiontrack.registry.models import AuditEvent, FusionAssessment
from tests.imaging_factory import LANDMARKS_1000, make_bitmap, make_dicom

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def images_dir(settings, tmp_path) -> Path:
    settings.FUSIONTRACK_IMAGES_DIR = str(tmp_path / "images")
    return tmp_path / "images"


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def post_upload(client, episode, data: bytes, name: str, **fields):
    payload = {"kind": "preop", "file": SimpleUploadedFile(name, data), **fields}
    return client.post(reverse("imaging:upload", args=[episode.pk]), payload)


def ingest(episode, user, data: bytes, *, kind: str = "preop", acquired_on=None, mm=None):
    upload = services.Upload([data], kind, acquired_on, mm)
    return services.ingest(None, episode, upload, role="surgeon", user=user)


def post_json(client, url: str, body: object):
    return client.post(url, json.dumps(body), content_type="application/json")


# --- upload and storage -------------------------------------------------------------------------


def test_surgeon_uploads_a_dicom_kept_outside_the_database(personas, anna, client_for, images_dir):
    client = client_for(personas.sofia)
    data = make_dicom(pixel_spacing=(0.15, 0.14))
    response = post_upload(client, anna.episode, data, "Berg_Anna.dcm")
    film = Radiograph.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imaging:radiograph", args=[film.pk])
    assert re.fullmatch(r"[0-9a-f]{32}\.dcm", film.file_name)
    path = storage.path_for(film.file_name)
    assert path.is_relative_to(images_dir) and path.read_bytes() == data
    assert "Berg" not in str(path)
    assert not path.is_relative_to(Path(django_settings.STATIC_ROOT))
    assert (path.stat().st_mode & 0o777) == 0o600
    assert storage.path_for(film.preview_name).read_bytes().startswith(b"\x89PNG")
    assert (film.width, film.height, film.file_size) == (300, 400, len(data))
    assert (film.spacing, film.spacing_source) == ((0.15, 0.14), "pixel_spacing")
    assert str(film.acquired_on) == "2025-03-01" and film.patient_id == anna.patient.pk
    assert film.uploaded_by == personas.sofia
    created = AuditEvent.objects.get(object_type="radiograph", action="create")
    assert (created.patient_id_ref, created.username) == (anna.patient.pk, "sofia")


def test_measures_on_a_dicom_use_its_pixel_spacing(personas, anna, client_for):
    film = ingest(anna.episode, personas.sofia, make_dicom(pixel_spacing=(0.15, 0.14)))
    client = client_for(personas.sofia)
    url = reverse("imaging:save_landmarks", args=[film.pk])
    response = post_json(client, url, {"landmarks": LANDMARKS_1000, "based_on_version": 0})
    assert response.status_code == 201
    saved = LandmarkSet.objects.get()
    expected = compute_measures(LANDMARKS_1000, (0.15, 0.14)).as_dict()
    assert saved.measures["values"] == pytest.approx(expected)
    assert response.json()["values"] == pytest.approx(expected)
    assert saved.measures["facing"] == "left"
    assert (saved.version, saved.measured_by, saved.spacing_source) == (
        1,
        personas.sofia,
        "pixel_spacing",
    )
    assert saved.measured_at is not None
    audit = AuditEvent.objects.get(object_type="landmarkset", action="create")
    assert audit.patient_id_ref == anna.patient.pk and audit.site_id_ref == personas.north.pk


def test_imager_pixel_spacing_is_used_and_named_on_the_page(personas, anna, client_for):
    data = make_dicom(pixel_spacing=None, imager_spacing=(0.175, 0.175))
    film = ingest(anna.episode, personas.sofia, data)
    assert (film.spacing, film.spacing_source) == ((0.175, 0.175), "imager_pixel_spacing")
    page = client_for(personas.sofia).get(reverse("imaging:radiograph", args=[film.pk]))
    text = page.content.decode()
    assert "Imager Pixel Spacing (0018,1164), at the detector" in text
    assert "include the radiographic magnification" in text


def test_monochrome1_upload_is_accepted_and_noted(personas, anna, client_for):
    film = ingest(anna.episode, personas.sofia, make_dicom(photometric="MONOCHROME1"))
    assert any("MONOCHROME1" in note for note in film.display_notes)


def test_png_needs_a_date_and_a_calibration(personas, anna, client_for, images_dir):
    client = client_for(personas.sofia)
    response = post_upload(client, anna.episode, make_bitmap("PNG"), "film.png")
    assert response.status_code == 200
    assert "enter the acquisition date" in response.content.decode()
    assert stored_files(images_dir) == []

    response = post_upload(
        client, anna.episode, make_bitmap("PNG"), "film.png", acquired_on="2025-02-01"
    )
    film = Radiograph.objects.get()
    assert response.status_code == 302 and film.file_format == "png" and film.spacing is None
    compute_url = reverse("imaging:compute", args=[film.pk])
    refused = post_json(client, compute_url, {"landmarks": LANDMARKS_1000})
    assert refused.status_code == 400 and "not calibrated" in refused.json()["error"]

    # a 300-400-500 triangle: the line is 500 px long and 100 mm → 0.2 mm per pixel
    line = {"x1": 100, "y1": 100, "x2": 400, "y2": 500, "length_mm": 100}
    response = client.post(reverse("imaging:calibrate", args=[film.pk]), line)
    assert response.status_code == 302
    film.refresh_from_db()
    assert film.spacing == pytest.approx((0.2, 0.2)) and film.spacing_source == "manual"
    assert film.calibration["method"] == "line" and film.calibration["length_mm"] == 100
    measured = post_json(client, compute_url, {"landmarks": LANDMARKS_1000})
    assert measured.status_code == 200
    expected = compute_measures(LANDMARKS_1000, 0.2).as_dict()
    assert measured.json()["values"] == pytest.approx(expected)
    update = AuditEvent.objects.get(object_type="radiograph", action="update")
    assert update.changes["spacing_row_mm"] == [None, pytest.approx(0.2)]


def test_jpeg_with_typed_mm_per_pixel(personas, anna, client_for):
    client = client_for(personas.sofia)
    response = post_upload(
        client,
        anna.episode,
        make_bitmap("JPEG"),
        "scan.jpg",
        kind="postop",
        acquired_on="2025-09-01",
        mm_per_pixel="0.143",
    )
    assert response.status_code == 302
    film = Radiograph.objects.get()
    assert (film.file_format, film.spacing, film.spacing_source) == (
        "jpeg",
        (0.143, 0.143),
        "manual",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7 a referral letter" + bytes(500), "not a DICOM, PNG or JPEG image"),
        (b"", "The submitted file is empty"),
    ],
    ids=["pdf", "empty"],
)
def test_non_image_upload_gets_a_clear_error(personas, anna, client_for, images_dir, data, message):
    response = post_upload(client_for(personas.sofia), anna.episode, data, "film.dcm")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Radiograph.objects.count() == 0 and stored_files(images_dir) == []


def test_too_big_upload_gets_a_clear_error(personas, anna, client_for, images_dir, settings):
    settings.FUSIONTRACK_IMAGING_MAX_UPLOAD_MB = 1
    data = make_dicom(rows=720, cols=730)  # just over 1 MB: caught while streaming to disk
    response = post_upload(client_for(personas.sofia), anna.episode, data, "big.dcm")
    assert "larger than the limit of 1 MB" in response.content.decode()
    assert Radiograph.objects.count() == 0 and stored_files(images_dir) == []


def test_a_huge_upload_is_refused_from_its_declared_size(personas, anna, client_for, settings):
    settings.FUSIONTRACK_IMAGING_MAX_UPLOAD_MB = 1
    client = client_for(personas.sofia)
    url = reverse("imaging:upload", args=[anna.episode.pk])
    response = client.generic(
        "POST",
        url,
        b"x" * 10,
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(5 << 20),
    )
    assert response.status_code == 200
    assert "larger than the limit of 1 MB" in response.content.decode()


def test_unsupported_compression_is_refused_with_the_syntax(personas, anna, client_for, images_dir):
    from pydicom.uid import MPEG4HP41

    data = make_dicom(transfer_syntax=MPEG4HP41, encapsulated=[b"\x00\x00\x01video"])
    response = post_upload(client_for(personas.sofia), anna.episode, data, "clip.dcm")
    assert "MPEG-4 AVC/H.264 High Profile / Level 4.1" in response.content.decode()
    assert stored_files(images_dir) == []


# --- serving files ------------------------------------------------------------------------------


def test_preview_and_original_are_served_only_through_audited_views(personas, anna, client_for):
    data = make_dicom()
    film = ingest(anna.episode, personas.sofia, data)
    client = client_for(personas.sofia)
    preview = client.get(reverse("imaging:preview", args=[film.pk]))
    assert preview["Content-Type"] == "image/png"
    assert preview["Cache-Control"] == "private, no-store"
    assert b"".join(preview.streaming_content).startswith(b"\x89PNG")
    original = client.get(reverse("imaging:original", args=[film.pk]))
    assert original["Content-Type"] == "application/dicom"
    assert f'filename="radiograph-{film.pk}.dcm"' in original["Content-Disposition"]
    assert b"".join(original.streaming_content) == data
    reasons = set(
        AuditEvent.objects.filter(object_type="radiograph", action="read").values_list(
            "reason", flat=True
        )
    )
    assert {"preview image", "original file downloaded"} <= reasons


# --- measuring ----------------------------------------------------------------------------------


def test_a_stale_save_is_a_conflict_and_keeps_the_newer_version(personas, anna, client_for):
    film = ingest(anna.episode, personas.sofia, make_dicom())
    url = reverse("imaging:save_landmarks", args=[film.pk])
    sofia = client_for(personas.sofia)
    assert (
        post_json(sofia, url, {"landmarks": LANDMARKS_1000, "based_on_version": 0}).status_code
        == 201
    )
    moved = {**LANDMARKS_1000, "L1_superior_anterior": (120.0, 110.0)}
    assert post_json(sofia, url, {"landmarks": moved, "based_on_version": 1}).status_code == 201
    stale = post_json(sofia, url, {"landmarks": LANDMARKS_1000, "based_on_version": 1})
    assert stale.status_code == 409 and "Version 2" in stale.json()["error"]
    assert list(LandmarkSet.objects.values_list("version", flat=True)) == [1, 2]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ("not json", 400, "Landmarks not understood"),
        ({"landmarks": {"L4_superior_anterior": [1, 2, 3]}}, 400, "Landmarks not understood"),
        ({"landmarks": {"T12_superior_anterior": [1, 2]}}, 400, "Unknown landmark name"),
        (
            {"landmarks": {"S1_superior_anterior": [5, 5], "S1_superior_posterior": [5, 5]}},
            400,
            "coincide",
        ),
    ],
    ids=["not-json", "three-numbers", "unknown-name", "coincident"],
)
def test_compute_endpoint_explains_bad_points(personas, anna, client_for, body, status, fragment):
    film = ingest(anna.episode, personas.sofia, make_dicom())
    url = reverse("imaging:compute", args=[film.pk])
    client = client_for(personas.sofia)
    raw = body if isinstance(body, str) else json.dumps(body)
    response = client.post(url, raw, content_type="application/json")
    assert response.status_code == status
    assert fragment in response.json()["error"]


def test_partial_landmarks_give_partial_measures_with_reasons(personas, anna, client_for):
    film = ingest(anna.episode, personas.sofia, make_dicom())
    points = {k: v for k, v in LANDMARKS_1000.items() if k.startswith("S1")}
    response = post_json(
        client_for(personas.sofia),
        reverse("imaging:compute", args=[film.pk]),
        {"landmarks": points},
    )
    body = response.json()
    assert body["values"]["sacral_slope"] == pytest.approx(
        compute_measures(points, (0.15, 0.14))["sacral_slope"].value
    )
    assert body["values"]["pelvic_tilt"] is None
    assert "hip_axis" in body["reasons"]["pelvic_tilt"]


def test_tool_page_without_javascript_still_shows_saved_measures(personas, anna, client_for):
    film = ingest(anna.episode, personas.sofia, make_dicom())
    services.save_landmarks(
        None, film, LANDMARKS_1000, based_on_version=0, role="surgeon", user=personas.sofia
    )
    page = client_for(personas.sofia).get(reverse("imaging:radiograph", args=[film.pk]))
    text = page.content.decode()
    assert "The measuring tool needs JavaScript" in text
    assert '<section id="tool" class="tool" hidden' in text
    assert '<script type="module"' in text and "onclick" not in text and " style=" not in text
    expected = compute_measures(LANDMARKS_1000, (0.15, 0.14))
    assert f"{expected['pelvic_incidence'].value:.1f}°" in text
    assert "measured by <strong>Sofia Lind</strong>" in text


def test_delete_removes_the_row_and_the_files(
    personas, anna, client_for, images_dir, django_capture_on_commit_callbacks
):
    film = ingest(anna.episode, personas.sofia, make_dicom())
    assert len(stored_files(images_dir)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(personas.sofia).post(reverse("imaging:delete", args=[film.pk]))
    assert response.status_code == 302
    assert Radiograph.objects.count() == 0 and stored_files(images_dir) == []
    deleted = AuditEvent.objects.get(object_type="radiograph", action="delete")
    assert deleted.changes["file_name"] == [film.file_name, None]


def test_deidentified_copy_for_the_export(personas, anna):
    import io

    import pydicom

    film = ingest(anna.episode, personas.sofia, make_dicom())
    ds = pydicom.dcmread(io.BytesIO(services.deidentified_copy(film, study_id="FT-0007")))
    assert ds.PatientID == "FT-0007" and "PatientBirthDate" not in ds
    assert ds.ClinicalTrialTimePointID == "preop"
    assert [float(v) for v in ds.PixelSpacing] == [0.15, 0.14]


# --- access control -----------------------------------------------------------------------------


@pytest.fixture
def film(personas, anna):
    film = ingest(anna.episode, personas.sofia, make_dicom())
    services.save_landmarks(
        None, film, LANDMARKS_1000, based_on_version=0, role="surgeon", user=personas.sofia
    )
    return film


READS = ["episode", "radiograph", "preview", "original", "compute"]
WRITES = ["upload", "save_landmarks", "calibrate", "delete"]


def _request(client, name: str, film: Radiograph):
    if name in ("episode", "upload"):
        url = reverse(f"imaging:{name}", args=[film.episode_id])
    else:
        url = reverse(f"imaging:{name}", args=[film.pk])
    if name in ("compute", "save_landmarks"):
        return post_json(client, url, {"landmarks": LANDMARKS_1000, "based_on_version": 1})
    if name == "calibrate":
        return client.post(url, {"mm_per_pixel": "0.2"})
    return client.get(url)


@pytest.mark.parametrize("name", READS + WRITES)
@pytest.mark.parametrize(
    ("persona", "read_status", "write_status"),
    [
        ("sofia", 200, 200),
        ("pia", 200, 403),
        ("kim", 404, 404),
        ("rhea", 403, 403),
        (None, 302, 302),
    ],
    ids=["surgeon-same-site", "physio-same-site", "surgeon-other-site", "researcher", "anonymous"],
)
def test_access_matrix(personas, film, client, persona, read_status, write_status, name):
    if persona is not None:
        client.force_login(getattr(personas, persona))
    response = _request(client, name, film)
    expected = read_status if name in READS else write_status
    if expected == 200 and name in ("save_landmarks",):
        expected = 201
    if expected == 200 and name in ("calibrate", "delete") and response.status_code == 302:
        expected = 302  # redirects after the POST / shows the confirmation page
    assert response.status_code == expected
    if persona is None:
        assert response["Location"].startswith("/accounts/login/")


def test_reads_are_audited_like_the_patient_page(personas, film, client_for):
    client = client_for(personas.sofia)
    before = AuditEvent.objects.count()
    client.get(reverse("imaging:episode", args=[film.episode_id]))
    client.get(reverse("imaging:radiograph", args=[film.pk]))
    new = AuditEvent.objects.order_by("id")[before:]
    assert [(e.action, e.object_type) for e in new] == [
        ("read", "episode"),
        ("read", "radiograph"),
    ]
    assert all(e.patient_id_ref == film.patient_id and e.username == "sofia" for e in new)


def test_outsiders_leave_no_trace_and_see_nothing(personas, film, client_for):
    client = client_for(personas.kim)  # logging in is audited; the refused read is not
    before = AuditEvent.objects.count()
    response = client.get(reverse("imaging:preview", args=[film.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


# --- fusion assessment from flexion–extension ---------------------------------------------------


def test_fusion_assessment_records_the_measured_motion(personas, anna, client_for):
    flexion = ingest(anna.episode, personas.sofia, make_dicom(), kind="flexion")
    extension = ingest(anna.episode, personas.sofia, make_dicom(), kind="extension")
    tilted = dict(LANDMARKS_1000)
    x, y = tilted["L4_inferior_anterior"]
    tilted["L4_inferior_anterior"] = (x, y - 6.0)  # opens the L4–L5 disc anteriorly
    for film, points in ((flexion, LANDMARKS_1000), (extension, tilted)):
        services.save_landmarks(
            None, film, points, based_on_version=0, role="surgeon", user=personas.sofia
        )
    from fusiontrack.core.radiology import compute_motion

    motion = compute_motion(LANDMARKS_1000, tilted, level="L4-L5", flexion_spacing=(0.15, 0.14))
    client = client_for(personas.sofia)
    page = client.get(reverse("imaging:episode", args=[anna.episode.pk])).content.decode()
    assert f"{motion.angular_motion_deg:.1f}°" in page
    response = client.post(
        reverse("imaging:fusion_from_motion", args=[anna.episode.pk]),
        {"level": "L4-L5", "assessment_date": "2025-09-01", "judgement": "not_fused"},
    )
    assert response.status_code == 302
    assessment = FusionAssessment.objects.get()
    assert assessment.modality == "flexion_extension"
    assert float(assessment.segmental_motion_degrees) == round(abs(motion.angular_motion_deg), 1)
    assert "angular motion" in assessment.notes
    assert AuditEvent.objects.filter(object_type="fusionassessment", action="create").exists()
