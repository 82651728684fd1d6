"""Issue 6 §3: hash-chain the audit trail and make it append-only at the database.

Existing entries are chained in their old order (at, id). Then a trigger refuses UPDATE and
DELETE on the audit table: on PostgreSQL for both (TRUNCATE, which only the test runner's flush
and a restore use, stays possible for the table owner); on SQLite for UPDATE only, because
Django's test flush empties tables with DELETE.
"""

from django.db import migrations, models

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION fusiontrack_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'registry_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
PG_TRIGGER = """
CREATE TRIGGER registry_auditevent_append_only
BEFORE UPDATE OR DELETE ON registry_auditevent
FOR EACH ROW EXECUTE FUNCTION fusiontrack_audit_append_only();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS registry_auditevent_append_only ON registry_auditevent;
DROP FUNCTION IF EXISTS fusiontrack_audit_append_only();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER registry_auditevent_no_update
BEFORE UPDATE ON registry_auditevent
BEGIN
    SELECT RAISE(ABORT, 'registry_auditevent is append-only: UPDATE refused');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS registry_auditevent_no_update;"


def chain_existing(apps, schema_editor):
    from fusiontrack.registry.audit import entry_hash

    AuditEvent = apps.get_model("registry", "AuditEvent")
    prev = ""
    for sequence, entry in enumerate(AuditEvent.objects.order_by("at", "id").iterator(), start=1):
        entry.sequence = sequence
        entry.prev_hash = prev
        entry.hash = entry_hash(entry)
        entry.save(update_fields=["sequence", "prev_hash", "hash"])
        prev = entry.hash


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, None)
        schema_editor.execute(PG_TRIGGER, None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP, None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0002_episode_planned_surgery_date"),
    ]

    operations = [
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ("sequence",)}),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="detail",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Create"),
                    ("read", "Read"),
                    ("update", "Update"),
                    ("delete", "Delete"),
                    ("export", "Export"),
                    ("login", "Log in"),
                    ("logout", "Log out"),
                    ("login_failed", "Failed log-in"),
                    ("lockout", "Locked out"),
                    ("denied", "Access denied"),
                    ("security", "Security change"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
