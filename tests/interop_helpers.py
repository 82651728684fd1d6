"""Helpers shared by the API, FHIR and import tests: tokens and authenticated requests.

The personas and Anna Berg come from conftest.py; here each persona gets an API token.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "fhir"


def token_for(user: Any, site: Any, scope: str = "read") -> str:
    from fusiontrack.api import tokens

    return tokens.issue(None, user=user, site=site, name=f"{user} test", scope=scope).secret


def auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def fhir_get(client: Any, path: str, token: str | None, **params: Any) -> Any:
    headers = auth(token) if token else {}
    return client.get(f"/fhir/{path}", params, HTTP_ACCEPT="application/fhir+json", **headers)


def fhir_post(client: Any, path: str, token: str, resource: Any, **extra: Any) -> Any:
    body = resource if isinstance(resource, str | bytes) else json.dumps(resource)
    return client.post(
        f"/fhir/{path}",
        data=body,
        content_type=extra.pop("content_type", "application/fhir+json"),
        **auth(token),
        **extra,
    )


def example(name: str) -> dict[str, Any]:
    """A file of tests/data/fhir, its URLs moved to the configured canonical base."""
    return json.loads(example_text(name))


def example_text(name: str) -> str:
    from fusiontrack.fhir.codes import CANONICAL, DEFAULT_CANONICAL

    return (DATA / name).read_text(encoding="utf-8").replace(DEFAULT_CANONICAL, CANONICAL)
