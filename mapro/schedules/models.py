"""Schedules: a flow of a procedure started by the calendar in one entity, and each of its occurrences."""

from django.db import models
from django.utils import timezone

from mapro.core.models import BaseModel
from mapro.deadlines.calendar import LIMA


class Schedule(BaseModel):
    """
    One calendar-started flow of one procedure in one entity, made from the definition's `periodicity`
    (mapro.schedules.services.schedules_sync). The administrator adjusts the first run, the requester and
    whether it is active; the frequency and the part it starts come from the definition.
    """

    class Frequency(models.TextChoices):
        DAILY = "daily", "Diaria"
        WEEKLY = "weekly", "Semanal"
        BIWEEKLY = "biweekly", "Quincenal"
        MONTHLY = "monthly", "Mensual"
        QUARTERLY = "quarterly", "Trimestral"
        SEMIANNUAL = "semiannual", "Semestral"
        ANNUAL = "annual", "Anual"

    entity = models.ForeignKey(
        "organization.Entity", on_delete=models.PROTECT, related_name="schedules", verbose_name="entidad"
    )
    procedure_code = models.CharField("procedimiento", max_length=80)
    flow = models.CharField("flujo", max_length=60, blank=True)
    start_activity = models.PositiveIntegerField("parte programada desde la actividad", null=True, blank=True)
    frequency = models.CharField("frecuencia", max_length=12, choices=Frequency)
    working_days = models.BooleanField("solo días hábiles", default=False)
    first_run_at = models.DateTimeField("primera ejecución")
    requester = models.ForeignKey(
        "organization.Person",
        verbose_name="solicitante",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedules_requested",
    )
    inputs = models.JSONField("datos de inicio", default=dict, blank=True)
    active = models.BooleanField("activa", default=True)
    # The next occurrence not yet handled: what the worker looks at (indexed with `active`).
    next_run_at = models.DateTimeField("próxima ejecución", null=True, blank=True)

    class Meta:
        verbose_name = "programación"
        verbose_name_plural = "programaciones"
        ordering = ["entity__code", "procedure_code", "flow"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "procedure_code", "flow"], name="schedules_one_per_flow"
            )
        ]
        indexes = [models.Index(fields=["active", "next_run_at"], name="schedules_due")]

    def __str__(self) -> str:
        flow = f" ({self.flow})" if self.flow else ""
        return f"{self.entity.code} · {self.procedure_code}{flow} · {self.get_frequency_display()}"


class ScheduleDocument(BaseModel):
    """
    The document a `file` start input of the scheduled flow needs (the approved PGD, the current project
    portfolio matrix), uploaded once by the administrator and attached to every case the schedule starts:
    a calendar start has nobody at hand to upload it. Replacing the file changes it for the next runs.
    """

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="documents", verbose_name="programación"
    )
    input_id = models.CharField("entrada", max_length=60)
    file = models.FileField("archivo", upload_to="programaciones/%Y/")
    filename = models.CharField("nombre del archivo", max_length=255, editable=False)

    class Meta:
        verbose_name = "documento de inicio"
        verbose_name_plural = "documentos de inicio (entradas de tipo archivo)"
        constraints = [
            models.UniqueConstraint(fields=["schedule", "input_id"], name="schedules_one_document_per_input")
        ]

    def __str__(self) -> str:
        return f"{self.input_id}: {self.filename}"


class ScheduleRun(models.Model):
    """
    One occurrence of a schedule, handled once: the unique (schedule, occurrence) row is inserted in the
    transaction that starts its case, so a retry, a restarted or a second worker finds it and does nothing.
    """

    class Status(models.TextChoices):
        STARTED = "started", "Expediente iniciado"
        MISSED = "missed", "Omitida (sistema detenido; se recuperó solo la última)"
        FAILED = "failed", "No se pudo iniciar"

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="runs", verbose_name="programación"
    )
    occurrence_at = models.DateTimeField("ocurrencia")
    status = models.CharField("estado", max_length=10, choices=Status)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedule_runs",
        verbose_name="expediente",
    )
    error = models.TextField("motivo", blank=True)
    created_at = models.DateTimeField("registrada", default=timezone.now)

    class Meta:
        verbose_name = "ejecución programada"
        verbose_name_plural = "ejecuciones programadas"
        ordering = ["-occurrence_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "occurrence_at"], name="schedules_run_once")
        ]

    def __str__(self) -> str:
        moment = timezone.localtime(self.occurrence_at, LIMA)
        return f"{self.schedule} · {moment:%Y-%m-%d %H:%M} · {self.get_status_display()}"
