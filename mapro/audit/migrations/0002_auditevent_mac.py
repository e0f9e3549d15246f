"""
Every event gets a MAC of its hash with the audit key (mapro/audit/keys.py), the ones already written too:
those vouch for the trail as it is at this migration, whose hash chain `mapro audit verify` still checks.
Set MAPRO_AUDIT_KEY before migrating to sign them with the installation's own key (else the key derived
from SECRET_KEY signs them; it stays valid for verification).
"""

from django.db import migrations, models

BATCH = 2000


def sign_existing(apps, schema_editor) -> None:
    from mapro.audit.keys import event_mac

    AuditEvent = apps.get_model("audit", "AuditEvent")
    rows = AuditEvent.objects.using(schema_editor.connection.alias).only("pk", "hash").order_by("pk")
    batch = []
    for event in rows.iterator(chunk_size=BATCH):
        event.mac = event_mac(event.hash)
        batch.append(event)
        if len(batch) == BATCH:
            AuditEvent.objects.using(schema_editor.connection.alias).bulk_update(batch, ["mac"])
            batch = []
    AuditEvent.objects.using(schema_editor.connection.alias).bulk_update(batch, ["mac"])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.RunPython(sign_existing, migrations.RunPython.noop),
    ]
