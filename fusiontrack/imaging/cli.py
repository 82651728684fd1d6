"""`fusiontrack imaging-demo` (registered by the main CLI via COMMANDS).

Django is imported inside the command so the rest of the CLI stays fast.
"""

from __future__ import annotations

import datetime as dt

import click


@click.command("imaging-demo")
@click.option(
    "--episodes",
    default=3,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Episodes per site.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The demo's today (default: today, UTC): only films dated up to then are added.",
)
def imaging_demo_command(episodes: int, as_of: dt.datetime | None) -> None:
    """Add synthetic measured radiographs (pre-op, post-op, flexion, extension) to operated
    L4–L5 demo episodes. Synthetic pictures, not patient data; idempotent."""
    from fusiontrack.djangoenv import setup

    setup()
    from fusiontrack.imaging.demo import load_imaging_demo

    day = as_of.date() if as_of else dt.datetime.now(dt.UTC).date()
    report = load_imaging_demo(episodes=episodes, as_of=day)
    if not report.episode_ids:
        click.echo("No operated L4–L5 episode without radiographs (one year after surgery).")
        return
    ids = ", ".join(str(i) for i in report.episode_ids)
    click.echo(f"Added {report.films} measured synthetic films to episodes {ids}.")
    click.echo("See /imaging/episodes/<id>/ (or the patient page) as the demo surgeon.")


COMMANDS = [imaging_demo_command]
