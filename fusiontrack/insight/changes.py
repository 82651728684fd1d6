"""Record which episodes changed, for the cohort snapshot (``models.CohortChange``).

Tracked: the registry records the cohort reads (``TRACKED``). Each save or delete appends one
change row in the same transaction as the record, through ``post_save`` / ``post_delete``
connected per model (so deletes of untracked models keep Django's fast path). Score rows are
not tracked themselves: they are only written together with their questionnaire response,
whose save is. Writes that bypass signals (bulk loads, ``QuerySet.update``, restores) call
`mark` or `mark_everything` themselves; the snapshot's expiry is the last safety net.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

from fusiontrack.insight.models import CohortChange

#: Registry models (``model_name``) whose rows belong to one episode.
EPISODE_RECORDS = frozenset(
    {
        "diagnosis",
        "operation",
        "preoperativeassessment",
        "hospitalstay",
        "complication",
        "reoperation",
        "fusionassessment",
        "returntowork",
        "questionnaireresponse",
    }
)
TRACKED = EPISODE_RECORDS | {"episode", "patient", "site"}


@dataclass(frozen=True)
class Changes:
    """Change rows newer than a process last applied (see `since`)."""

    ids: frozenset[int]
    episode_ids: frozenset[int]
    patient_ids: frozenset[int]
    everything: bool
    #: The highest id read, skipped ones included (0: none); below the caller's last applied
    #: id means the log was restored from a backup or pruned, so the caller reloads fully.
    newest: int = 0

    @property
    def empty(self) -> bool:
        return not self.ids


def change_for(model_name: str, instance: Any) -> CohortChange | None:
    """The change row a saved or deleted ``instance`` of registry model ``model_name`` needs."""
    if model_name in EPISODE_RECORDS:
        return CohortChange(episode_id=instance.episode_id)
    if model_name == "episode":
        return CohortChange(episode_id=instance.pk, patient_id=instance.patient_id)
    if model_name == "patient":
        return CohortChange(patient_id=instance.pk)
    if model_name == "site":
        return CohortChange(everything=True)
    return None


def record(sender: type[models.Model], instance: Any, **_: Any) -> None:
    """Signal receiver: append the change row for ``instance`` (raw fixture loads included)."""
    change = change_for(sender._meta.model_name or "", instance)
    if change is not None:
        change.save(using=instance._state.db or "default")


def connect() -> None:
    """Connect `record` to post_save and post_delete of every tracked registry model."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for name in sorted(TRACKED):
        model = apps.get_model("registry", name)
        post_save.connect(record, sender=model, weak=False, dispatch_uid=f"cohort-save-{name}")
        post_delete.connect(record, sender=model, weak=False, dispatch_uid=f"cohort-del-{name}")


def mark(
    *, episode_ids: Iterable[int] = (), patient_ids: Iterable[int] = (), chunk: int = 5000
) -> None:
    """Record changes made without signals (bulk inserts), one row per episode / patient; a
    very large set becomes one `mark_everything`."""
    rows = [CohortChange(episode_id=int(e)) for e in set(episode_ids)]
    rows += [CohortChange(patient_id=int(p)) for p in set(patient_ids)]
    if len(rows) > chunk:
        mark_everything()
    elif rows:
        CohortChange.objects.bulk_create(rows)


def mark_everything() -> None:
    """Ask every process for a full reload (bulk loads, restores)."""
    CohortChange.objects.create(everything=True)


def visible(lookback: int) -> tuple[int, set[int]]:
    """The newest change id (0 when none) and the ids visible now within ``lookback`` of it:
    a full load already contains those; rows still uncommitted now appear later and are
    applied then (see `since`)."""
    ids = list(CohortChange.objects.order_by("-id").values_list("id", flat=True)[:lookback])
    latest = int(ids[0]) if ids else 0
    return latest, {int(i) for i in ids if i > latest - lookback}


def since(after: int, *, skip: Iterable[int] = ()) -> Changes:
    """Change rows with id > ``after`` that are not in ``skip``.

    Callers pass ``after`` a little below the last id they applied (see ``snapshot.LOOKBACK``):
    on PostgreSQL ids are handed out at insert but become visible at commit, so a slow
    transaction's row can appear after a higher id was already seen.
    """
    skip = set(skip)
    every = list(
        CohortChange.objects.filter(id__gt=after).values_list(
            "id", "episode_id", "patient_id", "everything"
        )
    )
    rows = [r for r in every if r[0] not in skip]
    return Changes(
        ids=frozenset(r[0] for r in rows),
        episode_ids=frozenset(r[1] for r in rows if r[1] is not None),
        patient_ids=frozenset(r[2] for r in rows if r[2] is not None),
        everything=any(r[3] for r in rows),
        newest=max((r[0] for r in every), default=0),
    )


def prune(older_than: dt.datetime) -> int:
    """Delete change rows created before ``older_than``; the number deleted."""
    deleted, _ = CohortChange.objects.filter(created_at__lt=older_than).delete()
    return int(deleted)
