"""
The public sector's decreed non-working days (días no laborables) for the years the catalogue runs in.

Only the Executive declares them, by decreto supremo (TUO Ley 27444 art. 148); they are working days for
tax purposes only. Each row keeps its norma; an administrator edits or adds rows in the admin when a new
decree appears (a reversed migration removes only these rows, and only if nobody changed them).
"""

import datetime as dt

from django.db import migrations

DECREES = {
    "DS 151-2022-PCM": [
        dt.date(2023, 1, 2),
        dt.date(2023, 4, 28),
        dt.date(2023, 6, 30),
        dt.date(2023, 7, 27),
        dt.date(2023, 10, 9),
        dt.date(2023, 12, 7),
        dt.date(2023, 12, 26),
        dt.date(2024, 1, 2),
    ],
    "DS 011-2024-PCM": [
        dt.date(2024, 7, 26),
        dt.date(2024, 10, 7),
        dt.date(2024, 12, 6),
        dt.date(2024, 12, 23),
        dt.date(2024, 12, 24),
        dt.date(2024, 12, 30),
        dt.date(2024, 12, 31),
    ],
    "DS 042-2025-PCM": [
        dt.date(2025, 5, 2),
        dt.date(2025, 12, 26),
        dt.date(2026, 1, 2),
    ],
}
NAME = "Día no laborable para el sector público (compensable)"


def decreed_days_add(apps, schema_editor):
    NonWorkingDay = apps.get_model("deadlines", "NonWorkingDay")
    for norma, days in DECREES.items():
        for day in days:
            # A row an administrator entered already (with or without this norma) stays as it is.
            if not NonWorkingDay.objects.filter(date=day, entity__isnull=True, region="").exists():
                NonWorkingDay.objects.create(
                    date=day, name=NAME, scope="decreed", legal_source=norma, entity=None, region=""
                )


def decreed_days_remove(apps, schema_editor):
    NonWorkingDay = apps.get_model("deadlines", "NonWorkingDay")
    for norma, days in DECREES.items():
        NonWorkingDay.objects.filter(
            date__in=days, legal_source=norma, name=NAME, entity__isnull=True, region=""
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]

    operations = [migrations.RunPython(decreed_days_add, decreed_days_remove)]
