"""
Cases (expedientes) and their relational projections.

The workflow state is one JSON column holding routing only; everything people list, filter or report on
(tasks, records, deadlines, notifications) lives in its own table, written in the same transaction as
the engine step.
"""

from django.db import models
from django.db.models import Q

from mapro.core.models import BaseModel


class CaseCounter(models.Model):
    """Last number given per entity and year; its row lock makes numbers gap-free and unique."""

    entity = models.ForeignKey("organization.Entity", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "year"], name="case_counter_unique")]

    def __str__(self) -> str:
        return f"{self.entity_id}-{self.year}: {self.last}"


class Case(BaseModel):
    """One execution of a procedure version, from start to closure."""

    class Status(models.TextChoices):
        OPEN = "open", "En curso"
        SUSPENDED = "suspended", "Suspendido"
        CLOSED = "closed", "Concluido"
        CANCELLED = "cancelled", "Anulado"

    number = models.CharField("número", max_length=40, unique=True)  # MVCS-2026-000123
    entity = models.ForeignKey("organization.Entity", on_delete=models.PROTECT, related_name="cases")
    procedure_version = models.ForeignKey(
        "catalogue.ProcedureVersion", on_delete=models.PROTECT, related_name="cases"
    )
    requester = models.ForeignKey(
        "organization.Person", on_delete=models.PROTECT, related_name="cases_requested"
    )
    # Who registered the case for the requester (the mesa de ayuda); empty when the requester started it.
    registered_by = models.ForeignKey(
        "organization.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_registered",
        verbose_name="registrado por",
    )
    subject = models.CharField("asunto", max_length=300, blank=True)
    # Number, subject, start data and requester, folded (mapro.core.text.fold) for accent-blind search.
    search_text = models.TextField("texto de búsqueda", blank=True, editable=False)
    inputs = models.JSONField("datos de inicio", default=dict)
    status = models.CharField("estado", max_length=12, choices=Status, default=Status.OPEN)
    outcome = models.CharField("resultado", max_length=300, blank=True)
    cancel_reason = models.TextField("motivo de anulación", blank=True)
    suspend_reason = models.TextField("motivo de suspensión", blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,  # indexed by case_children, child cases only
    )
    parent_task = models.ForeignKey(
        "cases.CaseTask", null=True, blank=True, on_delete=models.PROTECT, related_name="child_cases"
    )
    started_at = models.DateTimeField("inicio")
    due_at = models.DateTimeField("vence", null=True, blank=True)
    closed_at = models.DateTimeField("cierre", null=True, blank=True)
    # Routing state only: the serialized BpmnWorkflow without its spec (cached per procedure version).
    workflow_state = models.JSONField(default=dict)
    workflow_serializer_version = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = "expediente"
        verbose_name_plural = "expedientes"
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="case_closed_has_closed_at"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""), name="case_cancelled_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "status"]),
            models.Index(fields=["status", "due_at"]),
            # Partial: top-level cases (parent NULL, nearly all) stay out. A full index on parent_id is, to
            # SQLite's ANALYZE, one huge group of NULLs: it then scans every case to find a case's children
            # (13.8 s at 1 M cases; 0.1 ms with this index, bench/README.md).
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="case_children"),
            # Indicators count a procedure's cases started in a period (mapro/reports/indicators.py): without
            # it each count scans every case (190 ms per count at 1 M cases on PostgreSQL, bench/README.md).
            models.Index(fields=["procedure_version", "started_at"], name="case_procedure_started"),
        ]

    def __str__(self) -> str:
        return self.number


class CaseTask(BaseModel):
    """The inbox projection of one human task of the workflow."""

    class Status(models.TextChoices):
        OPEN = "open", "Pendiente"
        COMPLETED = "completed", "Completada"
        CANCELLED = "cancelled", "Anulada"
        SKIPPED = "skipped", "Omitida"  # a guarded activity whose condition did not hold (never in an inbox)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tasks")
    engine_task_id = models.CharField(max_length=36)
    activity = models.PositiveIntegerField("actividad")
    name = models.CharField("nombre", max_length=300)
    kind = models.CharField("tipo", max_length=20)
    entity = models.ForeignKey("organization.Entity", on_delete=models.PROTECT, related_name="+")
    role_code = models.CharField("rol", max_length=60)
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.OPEN)
    assignee = models.ForeignKey(
        "organization.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tasks"
    )
    due_at = models.DateTimeField("vence", null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "organization.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField("decisión", max_length=200, blank=True)
    decision_reason = models.TextField("motivo de la decisión", blank=True)
    # The latest proveído: the note of whoever routed the task to its assignee (every one is in the history).
    routing_note = models.TextField("proveído", blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "tarea"
        verbose_name_plural = "tareas"
        constraints = [
            models.UniqueConstraint(fields=["case", "engine_task_id"], name="case_task_engine_id_unique"),
        ]
        indexes = [
            # The inbox: open tasks of the roles a person holds in an entity, overdue first.
            models.Index(fields=["entity", "role_code", "status", "due_at"], name="task_inbox"),
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee"),
            models.Index(fields=["status", "due_at"], name="task_overdue"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} · {self.activity}. {self.name}"

    @property
    def roles(self) -> list[str]:
        """
        Every role that may complete the task: `role_code` (its lane), then the co-roles of an activity any
        of whose responsibles completes it. Lists prefetch `co_roles`; one task alone costs one query, and
        none when the caller set `_co_role_codes` (sync does, for the tasks it creates).
        """
        cached = getattr(self, "_co_role_codes", None)
        if cached is None:
            cached = sorted(r.role_code for r in self.co_roles.all())
        return [self.role_code, *cached]


class CaseTaskRole(models.Model):
    """
    A further role that may complete a task (a co-responsible of an activity with `completion: any`). The
    task's first role stays in `CaseTask.role_code`, so the single-role task, nearly all of them, costs no
    row here and the inbox index keeps serving it; the inbox adds these rows with one indexed subquery.
    """

    task = models.ForeignKey(CaseTask, on_delete=models.CASCADE, related_name="co_roles")
    role_code = models.CharField("rol", max_length=60)

    class Meta:
        verbose_name = "rol adicional de la tarea"
        verbose_name_plural = "roles adicionales de la tarea"
        constraints = [models.UniqueConstraint(fields=["task", "role_code"], name="case_task_role_unique")]
        indexes = [models.Index(fields=["role_code", "task"], name="task_co_role")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.role_code}"


class CaseRecord(BaseModel):
    """A registro produced by an activity: its format's typed data, possibly restricted to some roles."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="records")
    task = models.ForeignKey(
        CaseTask, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    record_id = models.CharField(max_length=60)
    name = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    restricted_to = models.JSONField(default=list, blank=True)  # role codes; empty = everyone on the case
    effective_date = models.DateField("fecha efectiva")
    created_by = models.ForeignKey("organization.Person", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "registro"
        verbose_name_plural = "registros"

    def __str__(self) -> str:
        return f"{self.case.number} · {self.name}"


class Attachment(BaseModel):
    """
    An evidence file. One uploaded while completing an activity belongs to that activity's records and
    inherits their restriction; one uploaded on the case page may be reserved to its uploader's roles.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    task = models.ForeignKey(CaseTask, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(
        CaseRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    # The definition's record id the file documents, named when it is uploaded to a task still open (its
    # CaseRecord is written when the task is completed, and then linked in `record`).
    record_key = models.CharField("registro", max_length=60, blank=True, default="")
    file = models.FileField(upload_to="evidencias/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("organization.Person", on_delete=models.PROTECT, related_name="+")
    # Role codes; empty = everyone who may read the case. The uploader always keeps their own file.
    restricted_to = models.JSONField("reservado a", default=list, blank=True)

    class Meta:
        verbose_name = "adjunto"
        verbose_name_plural = "adjuntos"

    def __str__(self) -> str:
        return self.filename


class Comment(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey("organization.Person", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        verbose_name = "comentario"
        verbose_name_plural = "comentarios"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.case.number} · {self.author}"


class Deadline(BaseModel):
    """A time rule of the definition made concrete for one case: anchored, due, then met or missed."""

    class Status(models.TextChoices):
        PENDING = "pending", "En plazo"
        MET = "met", "Cumplido"
        MISSED = "missed", "Vencido"
        EXPIRED = "expired", "Caducado"  # a validity window that ran out (the 5-day AIP link)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deadlines")
    task = models.ForeignKey(
        CaseTask, null=True, blank=True, on_delete=models.PROTECT, related_name="deadlines"
    )
    time_rule = models.CharField(max_length=60)
    text = models.TextField()
    meaning = models.CharField(max_length=20)
    activity = models.PositiveIntegerField(null=True, blank=True)
    anchor_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    settled_at = models.DateTimeField(null=True, blank=True)
    # The rule's on_expiry action (branch, complete, close), so the tick finds acting rows without reading
    # definitions; what it does exactly is read from the case's pinned definition when it runs out.
    expiry_action = models.CharField("acción al vencer", max_length=10, blank=True)

    class Meta:
        verbose_name = "plazo"
        verbose_name_plural = "plazos"
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.case.number} · {self.time_rule}"


class Notification(BaseModel):
    """
    A message to someone the activity tells: RACI "informed" roles, the recipients the ficha's text names
    (`informs`: a role, the requester, or an outside contact of the case), assignments, deadlines.

    A notification to a person of the entity has `person`; one to an outside contact (the SGTD-PCM, an
    e-mail address) has none, and keeps the contact's name and address: it is the case's record that the
    ficha says this contact is told (sending it is another matter).
    """

    class Kind(models.TextChoices):
        RACI = "raci", "RACI (informado)"
        ROLE = "role", "Rol"
        REQUESTER = "requester", "Solicitante"
        CONTACT = "contact", "Contacto externo"
        OTHER = "other", "Aviso"

    person = models.ForeignKey(
        "organization.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notifications")
    task = models.ForeignKey(CaseTask, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    activity = models.PositiveIntegerField("actividad", null=True, blank=True)
    kind = models.CharField("tipo de destinatario", max_length=10, choices=Kind, default=Kind.OTHER)
    recipient = models.CharField("destinatario", max_length=200, blank=True)  # role id or contact name
    address = models.CharField("dirección", max_length=300, blank=True)
    channel = models.CharField("medio", max_length=100, blank=True)
    text = models.CharField("texto de la ficha", max_length=500, blank=True)
    message = models.CharField(max_length=500)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "notificación"
        verbose_name_plural = "notificaciones"
        indexes = [
            models.Index(fields=["person", "read_at"]),
            models.Index(fields=["case", "created_at"], name="notification_case"),
        ]
        constraints = [
            # Only an outside contact, or a role nobody holds yet, goes without a person.
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(kind__in=["contact", "role", "raci"]),
                name="notification_person_or_recipient",
            ),
        ]

    def __str__(self) -> str:
        return self.message
