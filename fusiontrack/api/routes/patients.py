"""Patients and their episodes: authorise with the registry's access helpers, audit, respond."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from fusiontrack.api import schemas as s
from fusiontrack.api.auth import audit_reads
from fusiontrack.api.errors import ApiError
from fusiontrack.api.tokens import may_write
from fusiontrack.registry import access, services
from fusiontrack.registry.models import Episode, Patient, Site

router = Router(tags=["patients"])

MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000


def require_write(request: HttpRequest) -> None:
    if not may_write(request):
        raise ApiError(403, "This API token is read-only; ask for a token with scope write.")


class PatientFilter(Schema):
    site: str | None = Field(default=None, description="Site code; default every site you see.")
    mrn: str | None = None
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    # Capped so a huge offset is a clear 422, not an integer overflow in the database.
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


@router.get("/patients", response=s.PatientPage, summary="Patients at your sites")
def list_patients(request: HttpRequest, filters: Query[PatientFilter]) -> dict:
    site_ids = access.clinical_site_ids(request)
    qs = Patient.objects.filter(site_id__in=site_ids).select_related("site").order_by("id")
    if filters.site:
        qs = qs.filter(site__code=filters.site)
    if filters.mrn:
        qs = qs.filter(mrn=filters.mrn)
    count = qs.count()
    rows = list(qs[filters.offset : filters.offset + filters.limit])
    audit_reads(request, [(p, p.pk, p.site_id) for p in rows])
    items = rows
    return {"count": count, "limit": filters.limit, "offset": filters.offset, "items": items}


@router.get("/patients/{patient_id}", response=s.PatientOut)
def get_patient(request: HttpRequest, patient_id: int) -> Patient:
    patient = access.get_patient_for_user(request, patient_id)
    audit_reads(request, [(patient, patient.pk, patient.site_id)])
    return patient


@router.post("/patients", response={201: s.PatientOut})
def create_patient(request: HttpRequest, payload: s.PatientIn) -> Status:
    require_write(request)
    site = Site.objects.filter(code=payload.site).first()
    if site is None:
        raise ApiError(404, f"No site {payload.site!r}.")
    site = access.require_site_for_user(request, site.pk, kind="patient")
    role = access.role_at(request, site.pk) or ""
    data = payload.dict(exclude={"site"})
    try:
        with transaction.atomic():
            patient = services.create_record(request, Patient(site=site, **data), role=role)
    except IntegrityError:
        raise ApiError(
            409, f"A patient with MRN {payload.mrn} already exists at {site.code}."
        ) from None
    return Status(201, patient)


@router.get("/patients/{patient_id}/episodes", response=list[s.EpisodeOut], tags=["episodes"])
def list_episodes(request: HttpRequest, patient_id: int) -> list[Episode]:
    patient = access.get_patient_for_user(request, patient_id)
    episodes = list(patient.episodes.order_by("id"))
    audit_reads(request, [(e, patient.pk, patient.site_id) for e in episodes])
    return episodes


@router.post("/patients/{patient_id}/episodes", response={201: s.EpisodeOut}, tags=["episodes"])
def create_episode(request: HttpRequest, patient_id: int, payload: s.EpisodeIn):
    require_write(request)
    patient = access.get_patient_for_user(request, patient_id, write=True)
    role = access.role_at(request, patient.site_id) or ""
    episode = Episode(patient=patient, stage_entered_on=payload.opened_on, **payload.dict())
    return Status(201, services.create_episode(request, episode, role=role))


@router.get("/episodes/{episode_id}", response=s.EpisodeOut, tags=["episodes"])
def get_episode(request: HttpRequest, episode_id: int) -> Episode:
    episode = access.get_episode_for_user(request, episode_id)
    audit_reads(request, [(episode, episode.patient_id, episode.site_id)])
    return episode
