"""Start Django from the command line (the `fusiontrack` CLI) without manage.py."""

from __future__ import annotations

import os


def setup() -> None:
    """Configure Django once; later calls are no-ops.

    DATABASE_URL and the other settings come from the environment (see fusiontrack/settings.py).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fusiontrack.settings")
    import django

    django.setup()
