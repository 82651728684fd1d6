"""CLI commands of the interoperability layer (registered by fusiontrack/cli.py via COMMANDS).

    fusiontrack import FILE --site north [--mapping map.json] [--dry-run] [--all-or-nothing]
    fusiontrack fhir-export-worker [--once]
    fusiontrack api-token create|revoke|list ...

Django is set up lazily inside each command so `fusiontrack score` stays fast.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import click


def _setup() -> None:
    from fusiontrack import djangoenv

    djangoenv.setup()


def _site(code: str) -> Any:
    from fusiontrack.registry.models import Site

    site = Site.objects.filter(code=code).first()
    if site is None:
        known = ", ".join(Site.objects.values_list("code", flat=True)) or "none yet"
        raise click.UsageError(f"No site {code!r}; sites: {known}.")
    return site


def _user(username: str | None) -> Any:
    if username is None:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise click.UsageError(f"No user {username!r}.")
    return user


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_code", required=True, help="Site code the records belong to.")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Column mapping (JSON) for a REDCap-style CSV.",
)
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Write nothing if any record has an error.")
@click.option("--user", "username", help="Staff user recorded as having entered the data.")
@click.option("--mrn-system", help="Identifier system of the source's MRNs (FHIR Patients).")
@click.option(
    "--create-episodes", is_flag=True, help="Open an 'Imported' episode for a patient who has none."
)
def import_command(
    file: Path,
    site_code: str,
    mapping: Path | None,
    dry_run: bool,
    all_or_nothing: bool,
    username: str | None,
    mrn_system: str | None,
    create_episodes: bool,
) -> None:
    """Import FHIR Patients and QuestionnaireResponses (Bundle .json or .ndjson) or a
    REDCap-style CSV (with --mapping). Re-running creates no duplicates; every bad record is
    reported with its location; exit code 1 when any record failed."""
    _setup()
    from fusiontrack.interop.importer import Options, run_import
    from fusiontrack.interop.sources import ImportFileError

    site = _site(site_code)
    user = _user(username)
    with click.progressbar(length=1, label=f"Importing {file.name}", file=sys.stderr) as bar:
        options = Options(
            site=site,
            user=user,
            dry_run=dry_run,
            all_or_nothing=all_or_nothing,
            mapping=mapping,
            mrn_system=mrn_system,
            create_episodes=create_episodes,
            progress=bar.update,
            total=lambda n: setattr(bar, "length", max(n, 1)),
        )
        try:
            report = run_import(file, options)
        except ImportFileError as exc:
            raise click.ClickException(str(exc)) from None
    _print_report(report)
    if report.errors:
        raise SystemExit(1)


def _print_report(report: Any) -> None:
    verb = "would create" if report.dry_run else "created"
    if report.rolled_back and not report.dry_run:
        verb = "would have created (nothing written: --all-or-nothing)"
    click.echo(
        f"{report.file}: {verb} {report.created_patients} patients, "
        f"{report.created_responses} questionnaire responses"
        + (f", {report.created_episodes} episodes" if report.created_episodes else "")
        + f"; already present: {report.existing_patients} patients, "
        f"{report.existing_responses} responses; errors: {len(report.errors)}."
    )
    for where, message in report.errors[:50]:
        click.echo(f"  {where}: {message}", err=True)
    if len(report.errors) > 50:
        click.echo(f"  ... and {len(report.errors) - 50} more.", err=True)


@click.command("fhir-export-worker")
@click.option("--once", is_flag=True, help="Run the queued jobs and exit (for cron).")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
def export_worker_command(once: bool, interval: float) -> None:
    """Run queued FHIR $export jobs (when FUSIONTRACK_FHIR_EXPORT_RUNNER=queue)."""
    _setup()
    from fusiontrack.fhir.export import run_queued

    while True:
        done = run_queued()
        if done:
            click.echo(f"ran {done} export job(s)")
        if once:
            return
        time.sleep(interval)


@click.group("api-token")
def api_token_group() -> None:
    """Issue, list and revoke per-user API tokens (hashed, one site, read or write)."""


@api_token_group.command("create")
@click.option("--user", "username", required=True)
@click.option("--site", "site_code", required=True)
@click.option("--name", required=True, help="What the token is for.")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--days", type=int, help="Expires after this many days.")
def token_create(username: str, site_code: str, name: str, scope: str, days: int | None) -> None:
    _setup()
    from django.utils import timezone

    from fusiontrack.api import tokens

    expires = timezone.now() + dt.timedelta(days=days) if days else None
    try:
        issued = tokens.issue(
            None,
            user=_user(username),
            site=_site(site_code),
            name=name,
            scope=scope,
            expires_at=expires,
        )
    except PermissionError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"token id {issued.token.pk} ({scope} at {site_code}); store this secret now:")
    click.echo(issued.secret)


@api_token_group.command("list")
@click.option("--user", "username", required=True)
def token_list(username: str) -> None:
    _setup()
    from fusiontrack.api.models import ApiToken

    for t in ApiToken.objects.filter(user=_user(username)).select_related("site"):
        state = "revoked" if t.revoked_at else "active"
        click.echo(f"{t.pk}\t{t.prefix}\t{t.site.code}\t{t.scope}\t{state}\t{t.name}")


@api_token_group.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    _setup()
    from fusiontrack.api import tokens
    from fusiontrack.api.models import ApiToken

    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise click.UsageError(f"No token {token_id}.")
    tokens.revoke(None, token)
    click.echo(f"token {token_id} revoked")


COMMANDS = [import_command, export_worker_command, api_token_group]
