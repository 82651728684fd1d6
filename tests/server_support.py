"""Helpers for tests that start a real server or listener in another process."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answering(url: str, timeout_s: float) -> bool:
    """Poll ``url`` until it answers 2xx (a gunicorn worker serves, not just the master
    listening); False after ``timeout_s``."""
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return False
