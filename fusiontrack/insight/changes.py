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


#: How long an id below the newest applied one may stay missing before it is given up: a
#: write transaction still open (its change rows get ids at insert but show at commit) or one
#: that rolled back (its ids never show). Longer transactions than this are caught by the
#: snapshot's expiry reload. A bulk import of 100,000 responses commits in about a minute.
MAX_GAP_SECONDS = 900.0
#: More missing ids than this between the applied ones (a sequence jump, e.g. after a restore)
#: are given up at once rather than tracked.
MAX_GAP_IDS = 100_000


@dataclass(frozen=True)
class Cursor:
    """Which change ids a snapshot contains: every id up to ``floor``, plus ``seen`` above it.
    Ids between ``floor`` and the highest seen that have not appeared (``missing_since``: when
    first noticed) are read again on every check until they appear or expire."""

    floor: int = 0
    seen: frozenset[int] = frozenset()
    missing_since: tuple[tuple[int, float], ...] = ()

    @property
    def applied(self) -> int:
        return max(self.seen, default=self.floor)

    def advance(self, ids: Iterable[int], now: float) -> Cursor:
        """The cursor after applying ``ids`` at time ``now`` (monotonic seconds)."""
        seen = set(self.seen) | {int(i) for i in ids}
        top = max(seen, default=self.floor)
        if top - self.floor - len(seen) > MAX_GAP_IDS:
            return Cursor(floor=top)
        noticed = dict(self.missing_since)
        missing = {
            i: noticed.get(i, now)
            for i in range(self.floor + 1, top)
            if i not in seen and now - noticed.get(i, now) < MAX_GAP_SECONDS
        }
        floor = min(missing) - 1 if missing else top
        return Cursor(
            floor=floor,
            seen=frozenset(i for i in seen if i > floor),
            missing_since=tuple(sorted(missing.items())),
        )


def change_for(model_name: str, instance: Any) -> CohortChange | None:
    """The change row a saved or deleted ``instance`` of registry model ``model_name`` needs."""
    if model_name in EPISODE_RECORDS:
        return CohortChange(episode_id=instance.episode_id)
    if model_name == "episode":
        return CohortChange(episode_id=instance.pk, patient_id=instance.patient_id)
    if model_name == "patient":
        return CohortChange(patient_id=instance.pk)
    if model_name == "site":
        # Only a renamed code changes cohort rows (the site column); new sites have none yet.
        renamed = getattr(instance, "_cohort_old_code", instance.code) != instance.code
        return CohortChange(everything=True) if renamed else None
    return None


def _covered_by_parent(model_name: str, origin: Any) -> bool:
    """A cascade from deleting a patient or an episode: the parent's own change row already
    names every affected episode, so its children need none (a patient with 16 responses
    would otherwise write 20-odd rows)."""
    if origin is None:
        return False
    origin_model = origin.model if isinstance(origin, models.QuerySet) else type(origin)
    parent = getattr(origin_model, "_meta", None)
    if parent is None or parent.app_label != "registry":
        return False
    return parent.model_name in {"patient", "episode"} and parent.model_name != model_name


def record(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """Signal receiver: append the change row for ``instance`` (raw fixture loads included)."""
    name = sender._meta.model_name or ""
    if _covered_by_parent(name, kwargs.get("origin")):
        return
    change = change_for(name, instance)
    if change is not None:
        change.save(using=instance._state.db or "default")


def remember_site_code(sender: type[models.Model], instance: Any, **_: Any) -> None:
    """pre_save of a site: keep the stored code, so `change_for` can tell a rename."""
    if instance.pk is not None:
        stored = sender._default_manager.filter(pk=instance.pk).values_list("code", flat=True)
        instance._cohort_old_code = stored.first() or instance.code


NAME_FIELDS = frozenset({"first_name", "last_name", "username"})


def surgeon_renamed(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """post_save of a user: a name change shows on every episode they operated (a login's
    ``last_login`` update is not one)."""
    fields = kwargs.get("update_fields")
    if kwargs.get("created") or (fields is not None and not NAME_FIELDS & set(fields)):
        return
    _mark_surgeon_episodes(instance.pk)


def surgeon_deleted(sender: type[models.Model], instance: Any, **_: Any) -> None:
    """pre_delete of a user: their episodes lose the surgeon by an UPDATE (SET_NULL) that
    sends no signal, so mark them now, in the same transaction."""
    _mark_surgeon_episodes(instance.pk)


def _mark_surgeon_episodes(user_id: int) -> None:
    from fusiontrack.registry.models import Episode

    ids = list(Episode.objects.filter(surgeon_id=user_id).values_list("pk", flat=True))
    if ids:
        mark(episode_ids=ids)


def connect() -> None:
    """Connect the receivers: post_save and post_delete of every tracked registry model, the
    site-code check, and surgeon renames and deletions."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

    for name in sorted(TRACKED):
        model = apps.get_model("registry", name)
        post_save.connect(record, sender=model, weak=False, dispatch_uid=f"cohort-save-{name}")
        post_delete.connect(record, sender=model, weak=False, dispatch_uid=f"cohort-del-{name}")
    site = apps.get_model("registry", "site")
    pre_save.connect(remember_site_code, sender=site, weak=False, dispatch_uid="cohort-site")
    user = get_user_model()
    post_save.connect(surgeon_renamed, sender=user, weak=False, dispatch_uid="cohort-user")
    pre_delete.connect(surgeon_deleted, sender=user, weak=False, dispatch_uid="cohort-user-del")


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


def cursor_at_load(lookback: int, now: float) -> Cursor:
    """The cursor of a snapshot loaded now: the ids visible within ``lookback`` of the newest
    are contained; ids in that window not visible yet (transactions still open) are missing
    and applied when they show (see `Cursor`)."""
    ids = list(CohortChange.objects.order_by("-id").values_list("id", flat=True)[:lookback])
    latest = int(ids[0]) if ids else 0
    start = Cursor(floor=max(0, latest - lookback))
    return start.advance([i for i in ids if i > start.floor], now)


def since(cursor: Cursor) -> Changes:
    """Change rows the ``cursor`` does not contain (one indexed range query).

    The row at ``cursor.floor`` itself is read too (and skipped) so that ``newest`` shows
    whether the log still reaches back to what was applied.
    """
    skip = set(cursor.seen) | {cursor.floor}
    every = list(
        CohortChange.objects.filter(id__gte=cursor.floor).values_list(
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
    """Delete change rows created before ``older_than`` except the newest row (snapshots
    check that the log still reaches their last applied id); the number deleted."""
    newest = CohortChange.objects.order_by("-id").values_list("id", flat=True).first()
    if newest is None:
        return 0
    deleted, _ = CohortChange.objects.filter(created_at__lt=older_than, id__lt=newest).delete()
    return int(deleted)
