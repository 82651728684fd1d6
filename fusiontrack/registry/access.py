"""Who may see and change what: one helper per object type, so no view can forget a check.

Rules:
* Staff see patients of the sites where they hold a clinical role (admin, surgeon,
  coordinator, physiotherapist). A superuser counts as admin at every site.
* A patient of another site is a 404: its existence is not revealed.
* Researchers never open identifiable pages: 403 (they get de-identified cohort views).
* Writing is allowed per record kind and role (``WRITE_ROLES``); a read-only role gets 403.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest

from fusiontrack.registry.models import Episode, Membership, Patient, QuestionnaireResponse, Site

CLINICAL_ROLES = frozenset({"admin", "surgeon", "coordinator", "physiotherapist"})
FULL_WRITE_ROLES = frozenset({"admin", "surgeon", "coordinator"})
#: Record kinds a physiotherapist may also write (the rest is read-only for them).
PHYSIO_WRITE_KINDS = frozenset({"conservative-care", "work", "questionnaire"})

M = TypeVar("M", bound=models.Model)


def site_roles(request: HttpRequest) -> dict[int, str]:
    """{site id: role} for the logged-in user, read once per request."""
    cached = getattr(request, "_fusiontrack_site_roles", None)
    if cached is not None:
        return cached
    user = request.user
    roles: dict[int, str]
    if not user.is_authenticated or not user.is_active:
        roles = {}
    elif user.is_superuser:
        roles = dict.fromkeys(Site.objects.values_list("id", flat=True), "admin")
    else:
        roles = dict(Membership.objects.filter(user=user).values_list("site_id", "role"))
    request._fusiontrack_site_roles = roles  # type: ignore[attr-defined]
    return roles


def clinical_site_ids(request: HttpRequest) -> list[int]:
    """Sites whose identifiable data the user may see; 403 when there are none."""
    ids = sorted(s for s, role in site_roles(request).items() if role in CLINICAL_ROLES)
    if not ids:
        raise PermissionDenied("Your role does not give access to identifiable patient data.")
    return ids


def role_at(request: HttpRequest, site_id: int) -> str | None:
    return site_roles(request).get(site_id)


def can_write(role: str | None, kind: str) -> bool:
    if role in FULL_WRITE_ROLES:
        return True
    return role == "physiotherapist" and kind in PHYSIO_WRITE_KINDS


def _check_site(request: HttpRequest, site_id: int, kind: str, write: bool) -> str:
    role = role_at(request, site_id)
    if role is None:
        raise Http404("No such patient.")
    if role not in CLINICAL_ROLES:
        raise PermissionDenied("Your role does not give access to identifiable patient data.")
    if write and not can_write(role, kind):
        raise PermissionDenied("Your role cannot change this kind of record.")
    return role


def get_patient_for_user(request: HttpRequest, patient_id: int, *, write: bool = False) -> Patient:
    clinical_site_ids(request)
    try:
        patient = Patient.objects.select_related("site").get(pk=patient_id)
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None
    _check_site(request, patient.site_id, "patient", write)
    return patient


def get_episode_for_user(
    request: HttpRequest, episode_id: int, *, kind: str = "episode", write: bool = False
) -> Episode:
    clinical_site_ids(request)
    try:
        episode = Episode.objects.select_related("patient", "site").get(pk=episode_id)
    except Episode.DoesNotExist:
        raise Http404("No such episode.") from None
    _check_site(request, episode.site_id, kind, write)
    return episode


def get_record_for_user(
    request: HttpRequest, model: type[M], record_id: int, *, kind: str, write: bool = False
) -> M:
    """A record hanging off an episode (diagnosis, operation, complication...)."""
    clinical_site_ids(request)
    try:
        record = model._default_manager.select_related("episode__patient", "episode__site").get(
            pk=record_id
        )
    except model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404("No such record.") from None
    _check_site(request, record.episode.site_id, kind, write)  # type: ignore[attr-defined]
    return record


def get_response_for_user(
    request: HttpRequest, response_id: int, *, write: bool = False
) -> QuestionnaireResponse:
    clinical_site_ids(request)
    try:
        response = QuestionnaireResponse.objects.select_related("patient", "episode", "site").get(
            pk=response_id
        )
    except QuestionnaireResponse.DoesNotExist:
        raise Http404("No such questionnaire response.") from None
    _check_site(request, response.site_id, "questionnaire", write)
    return response


def require_site_for_user(request: HttpRequest, site_id: int, *, kind: str) -> Site:
    """For creating a patient at a site: the user must be able to write there."""
    clinical_site_ids(request)
    try:
        site = Site.objects.get(pk=site_id)
    except Site.DoesNotExist:
        raise Http404("No such site.") from None
    _check_site(request, site.pk, kind, write=True)
    return site
