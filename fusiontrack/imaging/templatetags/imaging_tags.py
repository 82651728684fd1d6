"""`{% imaging_panel episode role %}`: the radiograph summary on the registry's patient page.

The registry template includes ``imaging/_patient_panel.html`` (one line); that partial loads
this library, so the registry view needs no change. Two queries: the film count with the latest
fusion assessment (subqueries on the episode row), and the latest measurements.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count, OuterRef, Subquery

from fusiontrack.core import vocab
from fusiontrack.imaging import compare
from fusiontrack.imaging.summary import latest_sets
from fusiontrack.registry import access
from fusiontrack.registry.models import Episode, FusionAssessment

register = template.Library()

_FUSION_FIELDS = ("assessment_date", "judgement", "bridwell_grade", "segmental_motion_degrees")


def _counts_and_fusion(episode_id: int) -> dict[str, Any]:
    latest = FusionAssessment.objects.filter(episode=OuterRef("pk")).order_by(
        "-assessment_date", "-id"
    )
    row = (
        Episode.objects.filter(pk=episode_id)
        .annotate(
            film_count=Count("radiographs"),
            **{f"fusion_{f}": Subquery(latest.values(f)[:1]) for f in _FUSION_FIELDS},
        )
        .values("film_count", *(f"fusion_{f}" for f in _FUSION_FIELDS))
        .first()
    )
    return row or {"film_count": 0}


@register.inclusion_tag("imaging/_panel_body.html")
def imaging_panel(episode: Any, role: str) -> dict[str, Any]:
    facts = _counts_and_fusion(episode.pk)
    sets = latest_sets([episode.pk]).get(episode.pk, {})
    before, after = sets.get("preop"), sets.get("postop")
    rows = (
        compare.change_table(before.measures["values"], after.measures["values"])
        if before and after
        else []
    )
    headline = {r.name: r for r in rows if r.change is not None}
    fusion = None
    if facts.get("fusion_assessment_date"):
        fusion = {
            "date": facts["fusion_assessment_date"],
            "judgement": vocab.label(vocab.FUSION_JUDGEMENTS, facts["fusion_judgement"]),
            "bridwell": facts["fusion_bridwell_grade"],
            "motion": facts["fusion_segmental_motion_degrees"],
        }
    return {
        "episode": episode,
        "film_count": facts["film_count"],
        "before": before,
        "after": after,
        "sentence": compare.change_sentence(rows),
        "headline_rows": [headline[n] for n in compare.HEADLINE if n in headline],
        "fusion": fusion,
        "can_write": access.can_write(role, "imaging"),
    }
