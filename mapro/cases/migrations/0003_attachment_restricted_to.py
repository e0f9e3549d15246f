"""
Attachments get `restricted_to`, like records. Files uploaded so far while completing an activity were stored
without their task: they are recognised as the files the person who completed a task uploaded within two
minutes after it (the task page uploads them right after the completion), linked to that task and given the
restriction of its records, so the existing .PST backups of PR.OTI.005 stop being readable by everyone.
"""

import datetime as dt

from django.db import migrations, models

WINDOW = dt.timedelta(minutes=2)


def link_evidence_to_tasks(apps, schema_editor):
    Attachment = apps.get_model("cases", "Attachment")
    CaseTask = apps.get_model("cases", "CaseTask")
    CaseRecord = apps.get_model("cases", "CaseRecord")
    for attachment in Attachment.objects.filter(task__isnull=True).iterator():
        task = (
            CaseTask.objects.filter(
                case_id=attachment.case_id,
                completed_by_id=attachment.uploaded_by_id,
                completed_at__lte=attachment.created_at,
                completed_at__gte=attachment.created_at - WINDOW,
            )
            .order_by("-completed_at")
            .first()
        )
        if task is None:
            continue
        records = list(CaseRecord.objects.filter(task_id=task.pk))
        attachment.task_id = task.pk
        attachment.record_id = records[0].pk if len(records) == 1 else None
        attachment.restricted_to = sorted({role for r in records for role in r.restricted_to})
        attachment.save(update_fields=["task", "record", "restricted_to"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_case_children_partial_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="restricted_to",
            field=models.JSONField(blank=True, default=list, verbose_name="reservado a"),
        ),
        migrations.RunPython(link_evidence_to_tasks, migrations.RunPython.noop),
    ]
