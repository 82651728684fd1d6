"""API token management: a logged-in staff user issues, lists and revokes their own tokens."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.responses import Status

from fusiontrack.api import schemas as s
from fusiontrack.api import tokens
from fusiontrack.api.auth import SESSION_ONLY
from fusiontrack.api.errors import ApiError
from fusiontrack.api.models import ApiToken
from fusiontrack.registry.models import Site

router = Router(tags=["tokens"], auth=SESSION_ONLY)


@router.get("/tokens", response=list[s.TokenOut])
def list_tokens(request: HttpRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=request.user).select_related("site"))


@router.post("/tokens", response={201: s.IssuedTokenOut})
def issue_token(request: HttpRequest, payload: s.TokenIn):
    site = Site.objects.filter(code=payload.site).first()
    if site is None or tokens.role_of(request.user, site.pk) is None:
        raise ApiError(404, f"You hold no role at a site {payload.site!r}.")
    issued = tokens.issue(
        request,
        user=request.user,
        site=site,
        name=payload.name,
        scope=payload.scope,
        expires_at=payload.expires_at,
    )
    issued.token.token = issued.secret  # type: ignore[attr-defined]  # shown once
    return Status(201, issued.token)


@router.delete("/tokens/{token_id}", response={204: None})
def revoke_token(request: HttpRequest, token_id: int):
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404("No such token.")
    tokens.revoke(request, token)
    return Status(204, None)
