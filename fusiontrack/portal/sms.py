"""SMS backends: one small interface, a logging backend by default, an in-memory one for tests.

A real provider (Twilio, an NHS gateway...) is a class with ``send`` raising ``SmsError`` on
failure; set ``FUSIONTRACK_SMS_BACKEND`` to its dotted path.
"""

from __future__ import annotations

import logging
import re
from typing import ClassVar

from django.utils.module_loading import import_string

from fusiontrack.portal import conf

logger = logging.getLogger("fusiontrack.portal.sms")
_LINK = re.compile(r"/p/[A-Za-z0-9_-]{32,}")


class SmsError(Exception):
    """The provider refused or could not be reached; the outbox retries with backoff."""


class SmsBackend:
    def send(self, to: str, body: str) -> str:
        """Send one text; return the provider's message id. Raise SmsError on failure."""
        raise NotImplementedError


class LoggingSmsBackend(SmsBackend):
    """Writes texts to the log instead of sending them (development and demo).

    The link's token is masked: logs are not a place for secrets. Use ``fusiontrack invite``
    to get a working link in a demo.
    """

    def send(self, to: str, body: str) -> str:
        masked_to = to[:3] + "…" + to[-2:] if len(to) > 5 else "…"
        logger.info("SMS to %s: %s", masked_to, _LINK.sub("/p/<token>", body))
        return "logged"


class LocmemSmsBackend(SmsBackend):
    """Keeps texts in ``LocmemSmsBackend.outbox`` (tests). ``fail_next`` simulates outages."""

    outbox: ClassVar[list[tuple[str, str]]] = []
    fail_next: ClassVar[int] = 0

    def send(self, to: str, body: str) -> str:
        if LocmemSmsBackend.fail_next > 0:
            LocmemSmsBackend.fail_next -= 1
            raise SmsError("simulated provider outage")
        LocmemSmsBackend.outbox.append((to, body))
        return f"locmem-{len(LocmemSmsBackend.outbox)}"


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(conf.sms_backend())()
    return backend
