"""The worklist: patients who need action, as indexed single-table queries per tab.

Tabs: follow-ups due or overdue (FollowUp), missing baseline (pre-operative episodes without a
baseline questionnaire) and stalled stage (an episode longer in one stage than the clinic's
setting ``FUSIONTRACK_STALLED_STAGE_DAYS``). The number of queries never depends on the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from fusiontrack.registry.models import Episode, FollowUp, QuestionnaireResponse

TABS = (
    ("followup", "Follow-up due or overdue"),
    ("baseline", "Missing baseline"),
    ("stalled", "Stalled stage"),
)


@dataclass(frozen=True)
class Filters:
    site_ids: list[int]
    timepoint: str = ""
    stage: str = ""
    surgeon_id: int | None = None
    overdue_only: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def follow_ups_due(filters: Filters, as_of: dt.date) -> QuerySet[FollowUp]:
    """Pending follow-ups whose window is open today, most overdue first."""
    qs = FollowUp.objects.filter(
        site_id__in=filters.site_ids,
        status="pending",
        window_opens_on__lte=as_of,
        window_closes_on__gte=as_of,
    )
    if filters.timepoint:
        qs = qs.filter(timepoint=filters.timepoint)
    if filters.overdue_only:
        qs = qs.filter(due_on__lt=as_of)
    if filters.surgeon_id:
        qs = qs.filter(episode__surgeon_id=filters.surgeon_id)
    return qs.select_related("patient", "episode").order_by("due_on", "id")


def missing_baseline(filters: Filters, as_of: dt.date) -> QuerySet[Episode]:
    """Episodes heading for surgery (decision taken, in preparation) without a baseline
    questionnaire: it must be collected before the operation or it is lost for good."""
    has_baseline = QuestionnaireResponse.objects.filter(
        episode=OuterRef("pk"), timepoint="baseline"
    )
    stages = ("surgical_decision", "preparation")
    qs = Episode.objects.filter(site_id__in=filters.site_ids, stage__in=stages).filter(
        ~Exists(has_baseline)
    )
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.surgeon_id:
        qs = qs.filter(surgeon_id=filters.surgeon_id)
    return qs.select_related("patient").order_by("surgery_date", "stage_entered_on", "id")


def stalled(filters: Filters, as_of: dt.date) -> QuerySet[Episode]:
    """Episodes longer in their current stage than the clinic's limit for that stage."""
    limits = settings.FUSIONTRACK_STALLED_STAGE_DAYS
    condition = Q()
    for stage, days in limits.items():
        if filters.stage and stage != filters.stage:
            continue
        condition |= Q(stage=stage, stage_entered_on__lt=as_of - dt.timedelta(days=days))
    if not condition:
        return Episode.objects.none()
    qs = Episode.objects.filter(site_id__in=filters.site_ids).filter(condition)
    if filters.surgeon_id:
        qs = qs.filter(surgeon_id=filters.surgeon_id)
    return qs.select_related("patient").order_by("stage_entered_on", "id")


QUERIES = {"followup": follow_ups_due, "baseline": missing_baseline, "stalled": stalled}


def counts(filters: Filters, as_of: dt.date) -> dict[str, int]:
    return {tab: QUERIES[tab](filters, as_of).count() for tab, _ in TABS}
