"""Patient-facing names of time points and measures, translatable (the core's are English)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TIMEPOINT_PHRASES = {
    "baseline": _("before your surgery"),
    "6w": _("6 weeks after your surgery"),
    "3m": _("3 months after your surgery"),
    "6m": _("6 months after your surgery"),
    "12m": _("1 year after your surgery"),
    "24m": _("2 years after your surgery"),
}

TIMEPOINT_SHORT = {
    "baseline": _("Before"),
    "6w": _("6 wk"),
    "3m": _("3 mo"),
    "6m": _("6 mo"),
    "12m": _("1 yr"),
    "24m": _("2 yr"),
}

#: What each score means to a patient, and which way is better.
MEASURE_NAMES = {
    "odi": _("disability score"),
    "nrs_back": _("back pain score"),
    "nrs_leg": _("leg pain score"),
    "eq5d5l_index": _("health index (EQ-5D)"),
    "eq5d_vas": _("rating of your health today"),
    "comi": _("back problem score (COMI)"),
}

MEASURE_TITLES = {
    "odi": _("Disability (Oswestry, 0–100)"),
    "nrs_back": _("Back pain (0–10)"),
    "nrs_leg": _("Leg pain (0–10)"),
    "eq5d5l_index": _("Health index (EQ-5D, up to 1)"),
    "eq5d_vas": _("Your health today (0–100)"),
    "comi": _("Back problems (COMI, 0–10)"),
}

INSTRUMENT_INTROS = {
    "odi": _(
        "How your back or leg trouble affects everyday life. Choose the one answer in each "
        "section that describes you today."
    ),
    "nrs": _(
        "How strong your pain has been in the past week, from 0 (no pain) to 10 (worst "
        "imaginable pain)."
    ),
    "eq5d5l": _("Your health today: five short questions and a score from 0 to 100."),
}


def timepoint_phrase(code: str) -> str:
    return str(TIMEPOINT_PHRASES.get(code, code))
