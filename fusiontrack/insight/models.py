"""The change log that keeps every process's in-memory cohort snapshot current.

Why a table: the snapshot (``snapshot.py``) lives in each server process; a save in one process
must reach the others without each reloading millions of rows. Every save or delete of a record
the cohort reads appends one row here *inside the same transaction* (signals, ``changes.py``),
so a process applies exactly the episodes that changed since it last looked: one indexed query
per dashboard view, then a reload of only those episodes. Append-only inserts never contend
the way a shared counter row would.
"""

from __future__ import annotations

from django.db import models


class CohortChange(models.Model):
    """One saved or deleted record that the cohort snapshot must reload.

    ``episode_id`` / ``patient_id`` are plain integers, not foreign keys: the episode may be
    deleted by the very change being recorded. ``everything`` asks every process for a full
    reload (bulk loads and restores that bypass per-row signals, site renames).
    """

    id = models.BigAutoField(primary_key=True)
    episode_id = models.BigIntegerField(null=True, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    everything = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        if self.everything:
            return f"#{self.id}: everything"
        return f"#{self.id}: episode {self.episode_id} patient {self.patient_id}"
