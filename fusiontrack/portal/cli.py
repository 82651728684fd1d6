"""`fusiontrack invite` and `fusiontrack run-scheduler` (registered by the main CLI via COMMANDS).

Django is imported inside the commands so the rest of the CLI stays fast.
"""

from __future__ import annotations

import datetime as dt

import click

from fusiontrack.core import vocab

TIMEPOINT_CODES = vocab.codes(vocab.TIMEPOINTS)


def _parse_as_of(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date or date-time (e.g. 2026-03-01 or 2026-03-01T08:00Z)",
            param_hint="--as-of",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


@click.command("invite")
@click.option("--site", "site_code", required=True, help="Site code, e.g. north.")
@click.option("--mrn", required=True, help="The patient's medical record number at that site.")
@click.option(
    "--timepoint", required=True, type=click.Choice(TIMEPOINT_CODES), help="Which questionnaire."
)
@click.option(
    "--episode",
    "episode_id",
    type=int,
    default=None,
    help="Episode id (default: the patient's most recent episode).",
)
def invite_command(site_code: str, mrn: str, timepoint: str, episode_id: int | None) -> None:
    """Create an invitation and print its link (give it to the patient; it is shown only once).

    Earlier live links for the same episode and time point stop working.
    """
    from fusiontrack.djangoenv import setup

    setup()
    from django.utils import timezone

    from fusiontrack.portal.invitations import InvitationError, create_invitation, mint_link
    from fusiontrack.registry.models import Episode, Patient

    patient = Patient.objects.filter(site__code=site_code, mrn=mrn).first()
    if patient is None:
        raise click.ClickException(f"No patient with MRN {mrn!r} at site {site_code!r}.")
    episodes = Episode.objects.filter(patient=patient)
    episode = episodes.filter(pk=episode_id).first() if episode_id else episodes.first()
    if episode is None:
        raise click.ClickException(
            f"Patient {mrn} has no episode{f' {episode_id}' if episode_id else ''}; "
            "open an episode of care first."
        )
    now = timezone.now()
    try:
        invitation = create_invitation(
            episode=episode, timepoint=timepoint, now=now, source="cli", role="cli"
        )
    except InvitationError as exc:
        raise click.ClickException(str(exc)) from None
    url = mint_link(invitation, now=now, purpose="cli")
    click.echo(url)
    expires = timezone.localtime(invitation.expires_at)
    click.echo(
        f"Invitation {invitation.pk} for {mrn} at {timepoint}; the link works until "
        f"{expires:%Y-%m-%d %H:%M %Z}.",
        err=True,
    )


@click.command("run-scheduler")
@click.option("--once", is_flag=True, help="Run one pass and exit (for cron).")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="Pretend it is this ISO date-time (tests, catching up); implies --once.",
)
@click.option(
    "--interval",
    default=60,
    show_default=True,
    type=click.IntRange(5, 3600),
    help="Seconds between passes when running as a worker.",
)
def run_scheduler_command(once: bool, as_of: str | None, interval: int) -> None:
    """Open invitations, send reminders, mark missed time points, deliver the outbox.

    Idempotent: safe from cron every minute (--once) or as a long-running worker.
    """
    moment = _parse_as_of(as_of)
    from fusiontrack.djangoenv import setup

    setup()
    from django.utils import timezone

    from fusiontrack.portal.scheduler import run_forever, run_once

    if once or moment is not None:
        report = run_once(moment or timezone.now())
        click.echo(report.summary())
        return
    click.echo(f"Scheduler running every {interval} s; stop with Ctrl-C.", err=True)
    try:
        run_forever(interval)
    except KeyboardInterrupt:
        click.echo("Scheduler stopped.", err=True)


COMMANDS = [invite_command, run_scheduler_command]
