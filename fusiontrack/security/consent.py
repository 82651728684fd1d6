"""Which patients' data may be used for research (issue 6 §4), in one place.

A patient who withdrew consent (``Patient.consent_withdrawn_date``) leaves research exports and
cohort analytics. Without research consent a patient is left out too, unless the site turns
``FUSIONTRACK_EXPORT_REQUIRES_RESEARCH_CONSENT`` off (e.g. registry-only consent covers quality
analytics under local law). The registry keeps the record either way; reminders stop in the
portal's scheduler.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from fusiontrack.registry.models import Patient


def research_filter(prefix: str = "") -> Q:
    """A Q object for any queryset reaching a patient through ``prefix`` (e.g. "patient__")."""
    condition = Q(**{f"{prefix}consent_withdrawn_date__isnull": True})
    if getattr(settings, "FUSIONTRACK_EXPORT_REQUIRES_RESEARCH_CONSENT", True):
        condition &= Q(**{f"{prefix}consent_research": True})
    return condition


def research_patients() -> QuerySet[Patient]:
    """Patients whose data may enter research exports and cohort analytics."""
    return Patient.objects.filter(research_filter())
