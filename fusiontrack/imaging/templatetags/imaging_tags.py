"""`{% imaging_panel episode role %}`: the radiograph summary on the registry's patient page.

The registry template includes ``imaging/_patient_panel.html`` (one line); that partial loads
this library, so the registry view needs no change. Two queries: the films and their latest
measurements.
"""

from __future__ import annotations

from typing import Any

from django import template

from fusiontrack.imaging import compare
from fusiontrack.imaging.models import Radiograph
from fusiontrack.imaging.summary import latest_sets
from fusiontrack.registry import access

register = template.Library()


@register.inclusion_tag("imaging/_panel_body.html")
def imaging_panel(episode: Any, role: str) -> dict[str, Any]:
    films = Radiograph.objects.filter(episode=episode).count()
    sets = latest_sets([episode.pk]).get(episode.pk, {})
    before, after = sets.get("preop"), sets.get("postop")
    rows = (
        compare.change_table(before.measures["values"], after.measures["values"])
        if before and after
        else []
    )
    return {
        "episode": episode,
        "film_count": films,
        "before": before,
        "after": after,
        "sentence": compare.change_sentence(rows),
        "can_write": access.can_write(role, "imaging"),
    }
