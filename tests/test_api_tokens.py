"""API tokens: issued through the staff session, stored hashed, scoped, revocable, audited."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from click.testing import CliRunner
from django.utils import timezone

from fusiontrack.api.models import ApiToken
from fusiontrack.cli import main
from fusiontrack.registry.models import AuditEvent, Membership
from tests.interop_helpers import auth, token_for

pytestmark = pytest.mark.django_db


def test_session_user_issues_lists_and_revokes_a_token(client, personas, anna):
    client.force_login(personas.sofia)
    issued = client.post(
        "/api/tokens",
        {"site": "north", "name": "EHR feed", "scope": "write"},
        content_type="application/json",
    )
    assert issued.status_code == 201
    secret = issued.json()["token"]
    stored = ApiToken.objects.get()
    assert secret.startswith(f"ft_{stored.prefix}_")
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())
    listed = client.get("/api/tokens").json()
    assert [t["name"] for t in listed] == ["EHR feed"]
    assert "token" not in listed[0]

    client.logout()
    assert client.get("/api/patients", **auth(secret)).status_code == 200
    client.force_login(personas.sofia)
    assert client.delete(f"/api/tokens/{stored.pk}").status_code == 204
    client.logout()
    revoked = client.get("/api/patients", **auth(secret))
    assert revoked.status_code == 401
    assert revoked.json()["error"]["message"] == "This API token was revoked."
    actions = list(
        AuditEvent.objects.filter(object_type="apitoken").values_list("action", flat=True)
    )
    assert actions == ["create", "update"]


def test_a_token_cannot_manage_tokens(client, personas):
    secret = token_for(personas.sofia, personas.north, "write")
    response = client.get("/api/tokens", **auth(secret))
    assert response.status_code == 401


def test_no_token_for_a_site_without_a_role(client, personas):
    client.force_login(personas.kim)
    response = client.post(
        "/api/tokens", {"site": "north", "name": "x"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_expired_token_is_refused(client, personas):
    from fusiontrack.api import tokens

    issued = tokens.issue(
        None,
        user=personas.sofia,
        site=personas.north,
        name="old",
        scope="read",
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    response = client.get("/api/patients", **auth(issued.secret))
    assert response.json()["error"]["message"] == "This API token has expired."


def test_leaving_the_site_ends_the_tokens_access(client, personas, anna):
    secret = token_for(personas.omar, personas.north)
    Membership.objects.filter(user=personas.omar).delete()
    assert client.get(f"/api/patients/{anna.patient.pk}", **auth(secret)).status_code == 403


def test_disabled_user_token_is_refused(client, personas):
    secret = token_for(personas.omar, personas.north)
    personas.omar.is_active = False
    personas.omar.save()
    assert client.get("/api/patients", **auth(secret)).status_code == 401


def test_cli_creates_lists_and_revokes(personas):
    runner = CliRunner()
    created = runner.invoke(
        main,
        ["api-token", "create", "--user", "omar", "--site", "north", "--name", "registry feed"],
    )
    assert created.exit_code == 0, created.output
    assert created.output.splitlines()[-1].startswith("ft_")
    token_id = ApiToken.objects.get().pk
    listed = runner.invoke(main, ["api-token", "list", "--user", "omar"])
    assert "registry feed" in listed.output and "active" in listed.output
    revoked = runner.invoke(main, ["api-token", "revoke", str(token_id)])
    assert revoked.exit_code == 0
    assert ApiToken.objects.get().revoked_at is not None
    refused = runner.invoke(
        main, ["api-token", "create", "--user", "kim", "--site", "north", "--name", "x"]
    )
    assert refused.exit_code == 2
    assert "has no role at north" in refused.output
