"""Operations and complications of an episode."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from fusiontrack.api import schemas as s
from fusiontrack.api.auth import audit_reads
from fusiontrack.api.routes.patients import require_write
from fusiontrack.registry import access, services
from fusiontrack.registry.models import Complication, Operation

router = Router()


@router.get("/episodes/{episode_id}/operations", response=list[s.OperationOut], tags=["operations"])
def list_operations(request: HttpRequest, episode_id: int) -> list[Operation]:
    episode = access.get_episode_for_user(request, episode_id)
    rows = list(episode.operations.order_by("operation_date", "id"))
    audit_reads(request, [(r, episode.patient_id, episode.site_id) for r in rows])
    return rows


@router.post(
    "/episodes/{episode_id}/operations", response={201: s.OperationOut}, tags=["operations"]
)
def create_operation(request: HttpRequest, episode_id: int, payload: s.OperationIn):
    require_write(request)
    episode = access.get_episode_for_user(request, episode_id, kind="operation", write=True)
    role = access.role_at(request, episode.site_id) or ""
    operation = Operation(episode=episode, surgeon=None, **payload.dict())
    return Status(201, services.create_record(request, operation, role=role))


@router.get(
    "/episodes/{episode_id}/complications",
    response=list[s.ComplicationOut],
    tags=["complications"],
)
def list_complications(request: HttpRequest, episode_id: int) -> list[Complication]:
    episode = access.get_episode_for_user(request, episode_id)
    rows = list(episode.complications.order_by("occurred_on", "id"))
    audit_reads(request, [(r, episode.patient_id, episode.site_id) for r in rows])
    return rows


@router.post(
    "/episodes/{episode_id}/complications",
    response={201: s.ComplicationOut},
    tags=["complications"],
)
def create_complication(request: HttpRequest, episode_id: int, payload: s.ComplicationIn):
    require_write(request)
    episode = access.get_episode_for_user(request, episode_id, kind="complication", write=True)
    role = access.role_at(request, episode.site_id) or ""
    complication = Complication(episode=episode, **payload.dict())
    return Status(201, services.create_record(request, complication, role=role))
