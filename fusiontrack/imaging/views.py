"""Imaging views: authorise with the registry's helpers, validate, call services, respond.

Every view that shows or sends patient data writes an audit entry, like the patient page.
The compute endpoint is the exception: it reads no stored data beyond the film's calibration and
is called on every landmark move (debounced), so it checks access without auditing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from fusiontrack.core.radiology import RadiologyError
from fusiontrack.imaging import conf, page, services
from fusiontrack.imaging.errors import ImagingError
from fusiontrack.imaging.forms import (
    CalibrationForm,
    FusionFromMotionForm,
    LandmarksPayload,
    UploadForm,
    first_error,
)
from fusiontrack.imaging.models import Radiograph
from fusiontrack.imaging.preview import PREVIEW_CONTENT_TYPE
from fusiontrack.registry import access, audit
from fusiontrack.registry import services as registry_services

KIND = "imaging"  # the registry's record kind for radiographs (write roles as for imaging)


def _role(request: HttpRequest, site_id: int) -> str:
    return access.role_at(request, site_id) or ""


def _radiograph(request: HttpRequest, radiograph_id: int, *, write: bool = False) -> Radiograph:
    return access.get_record_for_user(request, Radiograph, radiograph_id, kind=KIND, write=write)


def _audit_read(request: HttpRequest, film: Radiograph, reason: str) -> None:
    audit.record(
        request,
        "read",
        film,
        patient_id=film.patient_id,
        site_id=film.episode.site_id,
        role=_role(request, film.episode.site_id),
        reason=reason,
    )


def _declared_size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _json_error(message: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


@login_required
def episode_detail(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id, kind=KIND)
    role = _role(request, episode.site_id)
    context = page.episode_context(request, episode, role)
    registry_services.audit_read(request, episode, role)
    return render(request, "imaging/episode.html", context)


@login_required
def upload(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id, kind=KIND, write=True)
    role = _role(request, episode.site_id)
    if request.method == "POST" and _declared_size(request) > conf.max_upload_bytes() + 65_536:
        limit = conf.max_upload_bytes() >> 20  # refused before Django reads the body
        error = f"The file is larger than the limit of {limit} MB. Export it compressed."
        context = {"form": UploadForm(), "episode": episode, "upload_error": error}
        return render(request, "imaging/upload.html", context)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            film = services.ingest(
                request,
                episode,
                services.Upload(
                    data["file"].chunks(), data["kind"], data["acquired_on"], data["mm_per_pixel"]
                ),
                role=role,
            )
        except ImagingError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"{film.get_kind_display()} of {film.acquired_on} added.")
            return redirect("imaging:radiograph", radiograph_id=film.pk)
    else:
        registry_services.audit_read(request, episode, role)
    return render(request, "imaging/upload.html", {"form": form, "episode": episode})


@login_required
def radiograph_detail(request: HttpRequest, radiograph_id: int) -> HttpResponse:
    film = _radiograph(request, radiograph_id)
    role = _role(request, film.episode.site_id)
    context = page.tool_context(request, film, role)
    context["calibration_form"] = CalibrationForm()
    _audit_read(request, film, "measuring tool opened")
    return render(request, "imaging/radiograph.html", context)


@login_required
def radiograph_preview(request: HttpRequest, radiograph_id: int) -> HttpResponse:
    film = _radiograph(request, radiograph_id)
    _audit_read(request, film, "preview image")
    handle = services.preview_path(film).open("rb")
    response = FileResponse(handle, content_type=PREVIEW_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def radiograph_original(request: HttpRequest, radiograph_id: int) -> HttpResponse:
    film = _radiograph(request, radiograph_id)
    _audit_read(request, film, "original file downloaded")
    extension = {"dicom": "dcm", "png": "png", "jpeg": "jpg"}[film.file_format]
    content_type = {"dicom": "application/dicom", "png": "image/png", "jpeg": "image/jpeg"}
    response = FileResponse(
        services.original_path(film).open("rb"),
        as_attachment=True,
        filename=f"radiograph-{film.pk}.{extension}",
        content_type=content_type[film.file_format],
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _payload(request: HttpRequest) -> LandmarksPayload | JsonResponse:
    try:
        return LandmarksPayload.model_validate_json(request.body or b"{}")
    except ValidationError as exc:
        return _json_error(f"Landmarks not understood ({first_error(exc)}).")


@login_required
@require_POST
def compute(request: HttpRequest, radiograph_id: int) -> JsonResponse:
    film = _radiograph(request, radiograph_id)
    payload = _payload(request)
    if isinstance(payload, JsonResponse):
        return payload
    try:
        measures = services.measure(film, payload.landmarks)
    except RadiologyError as exc:
        return _json_error(str(exc), landmark=exc.landmark)
    except ImagingError as exc:
        return _json_error(str(exc))
    return JsonResponse(services.measures_payload(measures))


@login_required
@require_POST
def save_landmarks(request: HttpRequest, radiograph_id: int) -> JsonResponse:
    film = _radiograph(request, radiograph_id, write=True)
    payload = _payload(request)
    if isinstance(payload, JsonResponse):
        return payload
    role = _role(request, film.episode.site_id)
    try:
        saved = services.save_landmarks(
            request, film, payload.landmarks, based_on_version=payload.based_on_version, role=role
        )
    except services.StaleLandmarks as exc:
        return _json_error(str(exc), status=409)
    except RadiologyError as exc:
        return _json_error(str(exc), landmark=exc.landmark)
    except ImagingError as exc:
        return _json_error(str(exc))
    return JsonResponse(
        {
            "version": saved.version,
            "measured_by": request.user.get_username(),
            "measured_at": saved.measured_at.isoformat(),
            **saved.measures,
        },
        status=201,
    )


@login_required
@require_POST
def calibrate(request: HttpRequest, radiograph_id: int) -> HttpResponse:
    film = _radiograph(request, radiograph_id, write=True)
    role = _role(request, film.episode.site_id)
    form = CalibrationForm(request.POST)
    try:
        if not form.is_valid():
            raise ImagingError(" ".join(e for errors in form.errors.values() for e in errors))
        data = form.cleaned_data
        if data["line"] is not None and data.get("length_mm"):
            x1, y1, x2, y2 = data["line"]
            services.calibrate_line(
                request, film, start=(x1, y1), end=(x2, y2), length_mm=data["length_mm"], role=role
            )
        else:
            mm = data["mm_per_pixel"]
            services.set_calibration(
                request, film, mm, {"method": "typed", "mm_per_pixel": mm}, role=role
            )
    except ImagingError as exc:
        messages.error(request, f"Calibration not saved: {exc}")
    else:
        messages.success(request, f"Calibrated: {film.spacing_row_mm:.4f} mm per pixel.")
    return redirect("imaging:radiograph", radiograph_id=film.pk)


@login_required
def radiograph_delete(request: HttpRequest, radiograph_id: int) -> HttpResponse:
    film = _radiograph(request, radiograph_id, write=True)
    if request.method == "POST":
        episode_id = film.episode_id
        services.delete_radiograph(request, film, role=_role(request, film.episode.site_id))
        messages.success(request, "Radiograph deleted.")
        return redirect("imaging:episode", episode_id=episode_id)
    _audit_read(request, film, "delete confirmation")
    return render(request, "imaging/delete.html", {"film": film})


@login_required
@require_POST
def fusion_from_motion(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request, episode_id, kind="fusion", write=True)
    role = _role(request, episode.site_id)
    motion = page.motion_for(episode)
    measured = [row.level for row in motion if row.angular_motion_deg is not None]
    form = FusionFromMotionForm(request.POST, levels=measured)
    if not form.is_valid():
        messages.error(
            request,
            "Fusion assessment not saved: "
            + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
        )
    else:
        assessment = page.fusion_assessment(episode, form.cleaned_data, motion)
        registry_services.create_record(request, assessment, role=role)
        messages.success(request, "Fusion assessment recorded with the measured motion.")
    return redirect(reverse("imaging:episode", args=[episode.pk]) + "#fusion")
