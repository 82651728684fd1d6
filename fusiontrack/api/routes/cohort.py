"""Cohort aggregates: the one API read open to researchers, because it holds no identifiers.

Per measure and time point: n, mean, median and quartiles over the site's scores (one value per
episode, the mean of repeats), computed in SQL-fed pandas. Patients who withdrew consent are left
out; for researchers only patients who consented to research count (issue 6 §4). Cells with fewer
than ``min_cell`` episodes are suppressed. SOURCE MISSING for the default 5: a common
small-cell disclosure convention, not a cited standard; sites set FUSIONTRACK_API_MIN_CELL.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router

from fusiontrack.api import schemas as s
from fusiontrack.registry import access, audit
from fusiontrack.registry.models import Score, Site

router = Router(tags=["cohort"])

COHORT_ROLES = frozenset({*access.CLINICAL_ROLES, "researcher"})


def min_cell() -> int:
    return int(getattr(settings, "FUSIONTRACK_API_MIN_CELL", 5))


@router.get("/cohort/{site_code}/outcomes", response=s.CohortOut)
def cohort_outcomes(request: HttpRequest, site_code: str, measure: str | None = None) -> dict:
    import pandas as pd

    site = Site.objects.filter(code=site_code).first()
    role = access.role_at(request, site.pk) if site is not None else None
    if site is None or role is None:
        raise Http404("No such site.")
    if role not in COHORT_ROLES:
        raise PermissionDenied("Your role does not give access to cohort data.")
    qs = Score.objects.filter(site=site, patient__consent_withdrawn_date__isnull=True)
    if role == "researcher":
        qs = qs.filter(patient__consent_research=True)
    if measure:
        qs = qs.filter(measure=measure)
    frame = pd.DataFrame.from_records(
        qs.values_list("episode_id", "measure", "timepoint", "value").iterator(chunk_size=20_000),
        columns=["episode_id", "measure", "timepoint", "value"],
    )
    audit.record(request, "read", site, patient_id=None, site_id=site.pk, role=role)
    return {"site": site.code, "min_cell": min_cell(), "cells": _cells(frame, min_cell())}


def _cells(frame, smallest: int) -> list[dict]:  # type: ignore[no-untyped-def]
    if frame.empty:
        return []
    per_episode = frame.groupby(["episode_id", "measure", "timepoint"])["value"].mean()
    stats = per_episode.groupby(level=["measure", "timepoint"]).describe()
    cells = []
    for (measure, timepoint), row in stats.iterrows():
        n = int(row["count"])
        hide = n < smallest
        cells.append(
            {
                "measure": measure,
                "timepoint": timepoint,
                "n": n,
                "mean": None if hide else round(float(row["mean"]), 4),
                "median": None if hide else float(row["50%"]),
                "p25": None if hide else float(row["25%"]),
                "p75": None if hide else float(row["75%"]),
                "suppressed": hide,
            }
        )
    return cells
