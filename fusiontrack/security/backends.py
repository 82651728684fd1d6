"""The authentication backend: the registry's, refusing locked accounts and IPs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from fusiontrack.registry.auth import RegistryBackend
from fusiontrack.security import throttle
from fusiontrack.security.net import client_ip


class ThrottledBackend(RegistryBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is not None:
            reason = throttle.locked_reason(username, client_ip(request))
            if reason:
                if request is not None:
                    request._fusiontrack_locked = reason  # type: ignore[attr-defined]
                # PermissionDenied stops Django trying other backends; it still sends
                # user_login_failed and the form shows the usual "wrong password" message.
                raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
