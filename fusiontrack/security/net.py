"""The client's address as throttling sees it: the same one the audit trail records."""

from __future__ import annotations

from fusiontrack.registry.audit import client_ip

__all__ = ["client_ip"]
