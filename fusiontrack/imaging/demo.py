"""Synthetic radiographs for the demo: four measured films on a few operated L4–L5 episodes.

The demo cohort (fusiontrack.demo) has no images. This adds, at each site, for the first
`episodes` operated L4–L5 episodes whose one-year film date has passed, the four films of
`synthetic` (pre-op three weeks before surgery; post-op, flexion and extension one year after)
as PNG with a typed calibration, each measured with its known landmarks by the operating
surgeon. Idempotent: episodes that already have a radiograph are left alone. Same input, same
films and numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from fusiontrack.imaging import services, synthetic
from fusiontrack.imaging.models import Radiograph
from fusiontrack.registry.models import Operation

PREOP_DAYS_BEFORE, POSTOP_DAYS_AFTER = 21, 365


@dataclass(frozen=True)
class ImagingDemoReport:
    episode_ids: tuple[int, ...]
    films: int


def load_imaging_demo(*, episodes: int, as_of: dt.date) -> ImagingDemoReport:
    """Add measured synthetic films to up to `episodes` operated L4–L5 episodes per site."""
    operations = (
        Operation.objects.filter(
            levels="L4-L5",
            operation_date__lte=as_of - dt.timedelta(days=POSTOP_DAYS_AFTER),
        )
        .exclude(episode__in=Radiograph.objects.values("episode"))
        .select_related("episode", "surgeon")
        .order_by("episode_id", "operation_date", "id")
    )
    by_site: dict[int, dict[int, Operation]] = {}
    for operation in operations.iterator():
        site = by_site.setdefault(operation.episode.site_id, {})
        if len(site) < episodes:
            site.setdefault(operation.episode_id, operation)  # the episode's first operation
    chosen = sorted((o for site in by_site.values() for o in site.values()), key=lambda o: o.pk)
    films = {kind: synthetic.render(synthetic.landmarks(kind)) for kind in synthetic.KINDS}
    count = 0
    for operation in chosen:
        with transaction.atomic():
            for kind in synthetic.KINDS:
                days = -PREOP_DAYS_BEFORE if kind == "preop" else POSTOP_DAYS_AFTER
                upload = services.Upload(
                    [films[kind]],
                    kind,
                    operation.operation_date + dt.timedelta(days=days),
                    synthetic.SPACING_MM,
                )
                film = services.ingest(
                    None, operation.episode, upload, role="surgeon", user=operation.surgeon
                )
                services.save_landmarks(
                    None,
                    film,
                    synthetic.landmarks(kind),
                    based_on_version=0,
                    role="surgeon",
                    user=operation.surgeon,
                )
                count += 1
    return ImagingDemoReport(tuple(sorted(o.episode_id for o in chosen)), count)
