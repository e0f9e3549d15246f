"""
Calendar data for días hábiles, kept apart from BPMN timers (PRODUCT: deadlines are a calendar service).

National holidays come from the `holidays` package; what a decree adds (días no laborables for the public
sector) or what applies only to one entity is stored here with its legal source, editable in the admin.
"""

from django.db import models

from mapro.core.models import BaseModel


class NonWorkingDay(BaseModel):
    class Scope(models.TextChoices):
        DECREED = "decreed", "Día no laborable (decreto supremo)"
        REGIONAL = "regional", "Feriado regional"
        ENTITY = "entity", "Día no laborable de la entidad"
        NATIONAL = "national", "Feriado nacional (adicional al calendario)"

    date = models.DateField("fecha", db_index=True)
    name = models.CharField("descripción", max_length=200)
    scope = models.CharField("alcance", max_length=10, choices=Scope, default=Scope.DECREED)
    legal_source = models.CharField("norma", max_length=200, help_text="p. ej. DS 042-2025-PCM")
    # Empty entity: applies to every entity (a decree for the whole public sector).
    entity = models.ForeignKey(
        "organization.Entity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="non_working_days",
        verbose_name="entidad",
    )
    region = models.CharField("región", max_length=60, blank=True)

    class Meta:
        verbose_name = "día no laborable"
        verbose_name_plural = "días no laborables"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "entity", "region"], name="non_working_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"
