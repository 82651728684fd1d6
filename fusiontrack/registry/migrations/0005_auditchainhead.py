"""The audit chain's head row (one row, id 1), started from the existing chain."""

from django.db import migrations, models


def start_head(apps, schema_editor):
    AuditEvent = apps.get_model("registry", "AuditEvent")
    AuditChainHead = apps.get_model("registry", "AuditChainHead")
    last = AuditEvent.objects.order_by("-sequence").first()
    AuditChainHead.objects.create(
        id=1,
        sequence=last.sequence if last else 0,
        prev_hash=last.prev_hash if last else "",
        hash=last.hash if last else "",
    )


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0004_follow_up_worklist_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("prev_hash", models.CharField(blank=True, max_length=64)),
                ("hash", models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.RunPython(start_head, migrations.RunPython.noop),
    ]
