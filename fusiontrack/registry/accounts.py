"""The demo logins, named once: the demo loader creates them, production refuses them."""

from __future__ import annotations

DEMO_PASSWORD = "fusiontrack-demo"  # noqa: S105  (public by design; refused in production)
DEMO_USERNAMES = ("admin", "surgeon", "coordinator", "researcher")
