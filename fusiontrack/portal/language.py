"""The language a patient's pages and messages are shown in.

Why not ``Patient.preferred_language`` as it is: Django ships month names and date formats for
many languages, so a patient whose preferred language has no portal catalogue would read
English sentences with German dates ("until 8 Dezember 2026"). A page is in one language: the
patient's when the portal is translated into it, English otherwise.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

FALLBACK = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@cache
def available_languages() -> frozenset[str]:
    """English (the msgids) plus every language with a compiled portal catalogue."""
    compiled = {mo.parent.parent.name for mo in LOCALE_DIR.glob("*/LC_MESSAGES/django.mo")}
    return frozenset({FALLBACK, *compiled})


def patient_language(patient: Any) -> str:
    preferred = (getattr(patient, "preferred_language", "") or "").strip()
    if preferred in available_languages():
        return preferred
    base = preferred.split("-")[0].split("_")[0].lower()
    return base if base in available_languages() else FALLBACK
