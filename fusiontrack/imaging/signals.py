"""Remove a radiograph's files once its row is deleted (after the transaction commits)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from fusiontrack.imaging import storage
from fusiontrack.imaging.models import Radiograph


@receiver(post_delete, sender=Radiograph)
def _remove_files(sender: Any, instance: Radiograph, **kwargs: Any) -> None:
    names = (instance.file_name, instance.preview_name)
    transaction.on_commit(lambda: storage.delete(*names))
