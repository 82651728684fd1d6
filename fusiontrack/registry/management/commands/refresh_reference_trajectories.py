"""manage.py refresh_reference_trajectories: recompute the typical trajectories (median, IQR)
the patient page draws. Run after loading data and nightly (cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fusiontrack.registry.services import refresh_reference_trajectories


class Command(BaseCommand):
    help = "Recompute the cached median/IQR trajectories per measure, time point and diagnosis."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--min-n", type=int, default=5, help="Smallest group stored (default 5 patients)."
        )

    def handle(self, *args: Any, min_n: int, **options: Any) -> None:
        written = refresh_reference_trajectories(min_n=min_n)
        self.stdout.write(f"{written} reference trajectory rows written.")
