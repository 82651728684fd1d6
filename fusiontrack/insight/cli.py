"""`fusiontrack report patient` and `fusiontrack report cohort` (registered via COMMANDS).

Django is set up inside each command so the rest of the CLI stays fast. The CLI is an operator
tool with database access, so it sees every site; each report is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Any

import click

from fusiontrack.insight.filters import CHOICES


def _setup() -> None:
    """Set up Django and check the database answers, with a plain message when it does not."""
    from fusiontrack.djangoenv import setup

    setup()
    from django.db import DatabaseError

    from fusiontrack.registry.models import AuditEvent, Patient

    try:
        Patient.objects.exists()
        AuditEvent.objects.exists()
    except DatabaseError as exc:
        raise click.ClickException(
            f"the database is not ready ({str(exc).splitlines()[0]}); check DATABASE_URL and "
            "run the migrations (python -m django migrate with "
            "DJANGO_SETTINGS_MODULE=fusiontrack.settings)"
        ) from None


def _as_of(value: dt.datetime | None) -> dt.date:
    if value is not None:
        return value.date()
    from django.utils import timezone

    return timezone.localdate()


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


@click.group("report")
def report_group() -> None:
    """PDF reports: one patient's before/after, or the cohort's annual report."""


@report_group.command("patient")
@click.option("--site", required=True, help="Site code, e.g. north.")
@click.option("--mrn", required=True, help="The patient's medical record number at that site.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Report date (default today).")
def report_patient(site: str, mrn: str, output: Path, as_of: dt.datetime | None) -> None:
    """One patient's scores, charts, journey and complications as a PDF."""
    _setup()
    from fusiontrack.insight.reports import patient_pdf
    from fusiontrack.registry.audit import record_event
    from fusiontrack.registry.models import Patient

    try:
        patient = Patient.objects.select_related("site").get(site__code=site, mrn=mrn)
    except Patient.DoesNotExist:
        raise click.ClickException(
            f"no patient with MRN {mrn!r} at site {site!r}; check both (site codes are "
            "lower case, e.g. north)"
        ) from None
    pdf = patient_pdf(patient, as_of=_as_of(as_of))
    # Audited before the file exists: no audit entry, no export.
    record_event(
        None,
        "export",
        "patient_report",
        str(patient.pk),
        patient_id=patient.pk,
        site_id=patient.site_id,
        username=_operator(),
        detail={"output": str(output)},
    )
    output.write_bytes(pdf)
    click.echo(f"wrote {output} ({len(pdf):,} bytes)")


def _filter_options(command: Any) -> Any:
    for name, values in reversed(list(CHOICES.items())):
        flag = "--" + name.replace("_", "-")
        command = click.option(flag, name, type=click.Choice(values), default=None)(command)
    command = click.option("--surgeon", type=int, default=None, help="Surgeon user id.")(command)
    command = click.option(
        "--date-from", "date_from", default=None, help="Operated on or after (YYYY-MM-DD)."
    )(command)
    command = click.option(
        "--date-to", "date_to", default=None, help="Operated on or before (YYYY-MM-DD)."
    )(command)
    return click.option("--site", default=None, help="Site code.")(command)


@report_group.command("cohort")
@_filter_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Report date (default today).")
@click.option(
    "--deidentified",
    is_flag=True,
    help="Suppress small cells and pseudonymise surgeons, as researchers see it.",
)
@click.option(
    "--min-unit",
    type=int,
    default=20,
    show_default=True,
    help="Units with fewer patients are shown but not ranked in benchmarking.",
)
def report_cohort(
    output: Path, as_of: dt.datetime | None, deidentified: bool, min_unit: int, **filters: Any
) -> None:
    """The annual registry report (cohort, outcomes, complications, completeness,
    benchmarking) as a PDF."""
    _setup()
    from fusiontrack.insight.filters import CohortFilter, FilterError
    from fusiontrack.insight.reports import cohort_pdf
    from fusiontrack.insight.service import compute
    from fusiontrack.registry.audit import record_event
    from fusiontrack.registry.models import Site

    try:
        cohort_filter = CohortFilter.parse(filters)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    site_ids = tuple(Site.objects.order_by("pk").values_list("pk", flat=True))
    if cohort_filter.site and cohort_filter.site not in set(
        Site.objects.values_list("code", flat=True)
    ):
        raise click.UsageError(f"no site with code {cohort_filter.site!r}")
    day = _as_of(as_of)
    view = compute(site_ids, cohort_filter, as_of=day, deidentified=deidentified, min_unit=min_unit)
    title = Site.objects.get(code=cohort_filter.site).name if cohort_filter.site else "All sites"
    pdf = cohort_pdf(view, as_of=day, title=title)
    record_event(
        None,
        "export",
        "cohort_report",
        username=_operator(),
        detail={"filters": cohort_filter.as_query(), "output": str(output)},
    )
    output.write_bytes(pdf)
    click.echo(f"wrote {output} ({len(pdf):,} bytes; {view.board.n_episodes} episodes)")


COMMANDS = [report_group]
