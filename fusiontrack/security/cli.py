"""`fusiontrack audit verify`, `fusiontrack export deidentified`, `fusiontrack backup` and
`fusiontrack restore` (registered by the main CLI via COMMANDS).

Django is set up inside each command (``fusiontrack.djangoenv.setup``) so the rest of the CLI
stays fast; the database comes from DATABASE_URL like every other command.
"""

from __future__ import annotations

from pathlib import Path

import click


def _setup() -> None:
    from fusiontrack.djangoenv import setup

    setup()


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
@click.option(
    "--expect",
    metavar="COUNT:HASH",
    help="A head printed by an earlier run: fail unless that entry is still in the chain.",
)
def audit_verify(expect: str | None) -> None:
    """Recompute the audit hash chain; exit 1 naming the first broken entry.

    Prints the head (entry count and last hash); keeping it outside the database and passing
    it back with --expect also detects a rewritten or truncated tail.
    """
    _setup()
    from fusiontrack.registry.audit import verify_chain
    from fusiontrack.registry.models import AuditEvent

    report = verify_chain()
    if not report.ok:
        raise click.ClickException(
            f"audit chain broken at {report.broken} — checked {report.entries} entries."
        )
    if expect:
        count, _, digest = expect.partition(":")
        if not count.isdigit() or len(digest) != 64:
            raise click.BadParameter(
                "use the COUNT:HASH printed by an earlier run", param_hint="--expect"
            )
        kept = AuditEvent.objects.filter(sequence=int(count)).values_list("hash", flat=True).first()
        if kept != digest:
            raise click.ClickException(
                f"audit chain rewritten or truncated: entry #{count} no longer has the hash "
                "recorded earlier."
            )
    click.echo(f"audit chain intact: {report.entries} entries, head {report.entries}:{report.head}")


@audit_group.command("export")
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--patient", "patient_id", type=int, help="Only entries about this patient id.")
def audit_export(output: Path, patient_id: int | None) -> None:
    """Write the audit trail (or one patient's part) as CSV, readable by humans and
    spreadsheets (cells that would run as formulas are neutralised)."""
    _setup()
    import csv
    import getpass

    from fusiontrack.registry import audit
    from fusiontrack.registry.models import AuditEvent
    from fusiontrack.security.csvsafe import neutralise_row
    from fusiontrack.security.views import AUDIT_COLUMNS

    entries = AuditEvent.objects.order_by("sequence")
    if patient_id is not None:
        entries = entries.filter(patient_id_ref=patient_id)
    count = 0
    try:
        with output.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(AUDIT_COLUMNS)
            for entry in entries.iterator(chunk_size=5000):
                writer.writerow(neutralise_row([str(getattr(entry, c)) for c in AUDIT_COLUMNS]))
                count += 1
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot write it ({exc.strerror}).") from None
    audit.record_event(
        None,
        "export",
        "audit_trail",
        username=f"cli:{getpass.getuser()}"[:150],
        patient_id=patient_id,
        detail={"rows": count, "file": str(output.resolve())},
    )
    click.echo(f"{count} audit entries written to {output}")


@click.group("export")
def export_group() -> None:
    """Exports of registry data."""


@export_group.command("deidentified")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write (created; must be empty).",
)
@click.option(
    "--limited-data-set",
    is_flag=True,
    help="Keep full dates shifted per patient (only under a data use agreement).",
)
def export_deidentified(output: Path, limited_data_set: bool) -> None:
    """Write a research export: CSV, a data dictionary and Parquet, without identifiers.

    Safe Harbor by default (45 CFR 164.514(b)(2)); --limited-data-set shifts dates instead.
    """
    _setup()
    from django.utils import timezone

    from fusiontrack.security.export import ExportError, write_export

    try:
        result = write_export(output, as_of=timezone.localdate(), limited_data_set=limited_data_set)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    for table, rows in result.rows.items():
        click.echo(f"{table}: {rows} rows")
    click.echo(f"written to {output} ({result.mode}); study-id map kept out of the export.")


@click.command("backup")
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def backup_command(output: Path) -> None:
    """Back up the database to FILE (SQLite online backup, or pg_dump) and verify the copy."""
    _setup()
    from fusiontrack.security.backup import BackupError, backup

    try:
        report = backup(output)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written to {output}: {report}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the current database.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database with a backup FILE, then verify row counts and the audit chain.

    Stop the web server and workers first: everything written since the backup is replaced.
    """
    _setup()
    from fusiontrack.security.backup import BackupError, restore

    if not yes:
        click.confirm("This replaces every row of the current database. Continue?", abort=True)
    try:
        report = restore(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored from {file}: {report}")


COMMANDS = [audit_group, export_group, backup_command, restore_command]
