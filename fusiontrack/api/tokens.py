"""Creating, checking and revoking API tokens; a request with a token acts as its user at its site.

A token narrows its user, never widens: the role is the user's *current* membership at the
token's site (a user who leaves the site loses the token's access at once), the token reaches
only that site, and a read token cannot write whatever the role. The registry's access helpers
then apply unchanged, because they read the roles this module pins on the request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from fusiontrack.api.models import ApiToken
from fusiontrack.registry import audit
from fusiontrack.registry.models import Membership, Site

TOKEN_PREFIX = "ft"  # noqa: S105 (a label, not a secret)
#: Write last_used_at at most this often per token (one UPDATE per request would serialise
#: a busy integration on one row).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenError(Exception):
    """The Authorization header holds no usable token (malformed, unknown, revoked, expired)."""


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; never stored


def role_of(user: Any, site_id: int) -> str | None:
    if not user.is_active:
        return None
    if user.is_superuser:
        return "admin"
    return (
        Membership.objects.filter(user=user, site_id=site_id).values_list("role", flat=True).first()
    )


@transaction.atomic
def issue(
    request: HttpRequest | None,
    *,
    user: Any,
    site: Site,
    name: str,
    scope: str,
    expires_at: dt.datetime | None = None,
) -> IssuedToken:
    """A new token for ``user`` at ``site``; the user must hold a role there."""
    role = role_of(user, site.pk)
    if role is None:
        raise PermissionError(f"{user.get_username()} has no role at {site.code}.")
    if scope not in dict(ApiToken.SCOPES):
        raise ValueError(f"scope must be read or write, not {scope!r}.")
    prefix = secrets.token_hex(6)
    while ApiToken.objects.filter(prefix=prefix).exists():  # pragma: no cover - 48-bit clash
        prefix = secrets.token_hex(6)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        site=site,
        name=name[:100],
        scope=scope,
        prefix=prefix,
        token_hash=_hash(raw),
        expires_at=expires_at,
    )
    audit.record(
        request,
        "create",
        token,
        patient_id=None,
        site_id=site.pk,
        role=role,
        user=user if request is None else None,
        changes={"name": [None, token.name], "scope": [None, scope]},
    )
    return IssuedToken(token, raw)


@transaction.atomic
def revoke(request: HttpRequest | None, token: ApiToken, *, user: Any = None) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        request,
        "update",
        token,
        patient_id=None,
        site_id=token.site_id,
        role=role_of(token.user, token.site_id) or "",
        user=user,
        changes={"revoked_at": [None, token.revoked_at.isoformat()]},
    )


def bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise TokenError("Use 'Authorization: Bearer <token>' with an API token.")
    return value.strip()


def check(raw: str, *, now: dt.datetime) -> ApiToken:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise TokenError("This is not a fusiontrack API token.")
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash(raw)):
        raise TokenError("Unknown API token.")
    if token.revoked_at is not None:
        raise TokenError("This API token was revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenError("This API token has expired.")
    if not token.user.is_active:
        raise TokenError("The user of this API token is disabled.")
    return token


def authenticate(request: HttpRequest) -> ApiToken | None:
    """Act as the token's user at the token's site only. None: no token sent."""
    raw = bearer(request)
    if raw is None:
        return None
    now = timezone.now()
    token = check(raw, now=now)
    role = role_of(token.user, token.site_id)
    request.user = token.user
    # The registry's access helpers read this cache: the token reaches its own site only.
    request._fusiontrack_site_roles = {token.site_id: role} if role else {}  # type: ignore[attr-defined]
    request.api_token = token  # type: ignore[attr-defined]
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def may_write(request: HttpRequest) -> bool:
    """A request without a token (a session) may write; a token only with scope write."""
    token = getattr(request, "api_token", None)
    return token is None or token.can_write
