"""The client's address as recorded in throttling and audit (REMOTE_ADDR; set by the proxy)."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    raw = request.META.get("REMOTE_ADDR") if request is not None else None
    try:
        return ipaddress.ip_address(raw).compressed if raw else None
    except ValueError:
        return None
