"""`manage.py imaging_demo`: the same as `fusiontrack imaging-demo`, for call_command."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fusiontrack.imaging.demo import load_imaging_demo


class Command(BaseCommand):
    help = "Add synthetic measured radiographs to a few operated L4–L5 demo episodes per site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--episodes", type=int, default=3, help="Episodes per site.")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)

    def handle(self, *args: Any, episodes: int, as_of: dt.date | None, **options: Any) -> None:
        day = as_of or dt.datetime.now(dt.UTC).date()
        report = load_imaging_demo(episodes=episodes, as_of=day)
        self.stdout.write(
            f"Added {report.films} measured synthetic films to episodes "
            f"{', '.join(map(str, report.episode_ids)) or '(none)'}."
        )
