"""Backup and restore with verification (issue 6 §7), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.db import connection

from fusiontrack.registry.models import AuditEvent, Complication, Patient
from fusiontrack.security.backup import BackupError, backup, restore
from fusiontrack.security.cli import backup_command, restore_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_then_restore_brings_back_every_row_and_the_audit_chain(anna, tmp_path, today):
    path = tmp_path / "fusiontrack.backup"
    report = backup(path)
    assert path.stat().st_size > 0
    assert report.tables["registry_patient"] == 1
    assert report.chain.ok and report.chain.entries == AuditEvent.objects.count()

    # Work after the backup is lost on restore, by design.
    Complication.objects.create(
        episode=anna.episode, occurred_on=today, category="durotomy", clavien_dindo="I"
    )
    Patient.objects.filter(pk=anna.patient.pk).update(family_name="Changed")

    restored = restore(path)
    assert restored.tables == report.tables
    assert Patient.objects.get(pk=anna.patient.pk).family_name == "Berg"
    assert not Complication.objects.filter(episode=anna.episode).exists()


def test_a_damaged_backup_is_refused_before_anything_is_replaced(anna, tmp_path):
    path = tmp_path / "broken.backup"
    backup(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\x00" * 4096
    path.write_bytes(bytes(data[: len(data) * 3 // 4]))
    with pytest.raises(BackupError):
        restore(path)
    assert Patient.objects.filter(pk=anna.patient.pk).exists()


def test_cli_backup_and_restore(anna, tmp_path):
    runner = CliRunner()
    path = tmp_path / "cli.backup"
    made = runner.invoke(backup_command, ["-o", str(path)])
    assert made.exit_code == 0, made.output
    assert "audit chain intact" in made.output
    back = runner.invoke(restore_command, [str(path), "--yes"])
    assert back.exit_code == 0, back.output
    missing = runner.invoke(backup_command, ["-o", str(tmp_path / "nowhere" / "x.backup")])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_backup_reports_which_database_it_used():
    assert connection.vendor in ("sqlite", "postgresql")
