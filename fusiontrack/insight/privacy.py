"""Who sees what on the cohort pages, and small-cell suppression for researchers.

Rule (stated on every de-identified page and in the CSV): for a viewer without a clinical role
(a researcher), any table row where a count is between 1 and 4 shows that count as "<5" and hides
every number computed from that row (percent, mean, interval). Researchers never see names,
MRNs, dates of birth, surgeon names (surgeons become "Surgeon A, B, …") or per-patient rows.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, replace

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from fusiontrack.insight.aggregates import Table
from fusiontrack.registry.access import CLINICAL_ROLES, site_roles

MIN_CELL = 5
SUPPRESSED = "<5"
RULE = (
    f"Small cells suppressed: counts from 1 to {MIN_CELL - 1} are shown as '{SUPPRESSED}' and "
    "the numbers computed from them are hidden. No identifiers or per-patient rows are shown."
)


@dataclass(frozen=True)
class Viewer:
    """The sites a user may analyse and whether their view is de-identified."""

    site_ids: tuple[int, ...]
    deidentified: bool
    role: str


def viewer_for(request: HttpRequest) -> Viewer:
    """Staff see their clinical sites identified; researchers see their sites de-identified."""
    roles = site_roles(request)
    clinical = tuple(sorted(s for s, r in roles.items() if r in CLINICAL_ROLES))
    if clinical:
        return Viewer(clinical, False, roles[clinical[0]])
    research = tuple(sorted(s for s, r in roles.items() if r == "researcher"))
    if research:
        return Viewer(research, True, "researcher")
    raise PermissionDenied("Your account has no role at any site; ask an administrator.")


def suppress(table: Table) -> Table:
    """A copy of ``table`` with small cells suppressed (see ``RULE``)."""
    frame = table.frame.copy()
    counts = [c for c in table.counts if c in frame]
    if not counts or frame.empty:
        return table
    numeric = frame[counts].apply(pd.to_numeric, errors="coerce")
    small = ((numeric >= 1) & (numeric < MIN_CELL)).any(axis=1)
    if small.any():
        frame = frame.astype({c: object for c in [*counts, *table.derived] if c in frame})
        for column in counts:
            cell_small = small & (numeric[column] >= 1) & (numeric[column] < MIN_CELL)
            frame.loc[cell_small, column] = SUPPRESSED
        for column in table.derived:
            if column in frame:
                frame.loc[small, column] = None
    return replace(table, frame=frame, note=(table.note + " " + RULE).strip())


def surgeon_codes(surgeon_ids: list[int]) -> dict[int, str]:
    """Stable pseudonyms for surgeons (ordered by id): Surgeon A, B, … AA, AB …"""
    letters = string.ascii_uppercase
    out = {}
    for i, pk in enumerate(sorted(surgeon_ids)):
        code = letters[i % 26] if i < 26 else letters[i // 26 - 1] + letters[i % 26]
        out[pk] = f"Surgeon {code}"
    return out
