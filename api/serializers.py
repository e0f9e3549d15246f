"""Input and output shapes of the REST API (inputs validate syntax; services validate meaning)."""

from rest_framework import serializers

from mapro.cases.models import Case, CaseTask, Deadline, Notification

UNKNOWN_FIELD = "Campo desconocido: no es parte de esta solicitud."


class ErrorOut(serializers.Serializer):
    """The body of every error answer of the API (4xx and 5xx)."""

    detail = serializers.CharField(help_text="Qué pasó, en castellano, para mostrarlo a la persona.")
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Solo en 400: los mensajes de cada campo rechazado, por nombre de campo (las entradas "
        "por su id, los campos de un registro como `registro.campo`).",
    )


# An input body: a field it does not declare is refused by name, never silently ignored. (A comment, not a
# docstring: the schema would show an inherited docstring as each input's description.)
class StrictInput(serializers.Serializer):
    def to_internal_value(self, data):
        problems = self._shape_errors(data) if isinstance(data, dict) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            exc.detail.update(problems)
            raise
        if problems:
            raise serializers.ValidationError(problems)
        return value

    def _shape_errors(self, data: dict) -> dict[str, list[str]]:
        """Unknown fields, and texts given as numbers (DRF would turn 0 into "0": the schema says string)."""
        errors = {name[:100]: [UNKNOWN_FIELD] for name in sorted(set(data) - set(self.fields))}
        for name, field in self.fields.items():
            given = data.get(name)
            if isinstance(field, serializers.CharField) and given is not None and not isinstance(given, str):
                errors[name] = ["Debe ser un texto."]
        return errors


class TaskOut(serializers.Serializer):
    """
    A task. Plain fields, not a ModelSerializer: these are built on every completion and inbox row, and a
    ModelSerializer introspects the model each time it is instantiated.
    """

    id = serializers.IntegerField()
    case = serializers.CharField(source="case.number", help_text="Número del expediente.")
    activity = serializers.IntegerField(help_text="Número de la actividad en la ficha.")
    name = serializers.CharField()
    kind = serializers.CharField()
    role_code = serializers.CharField(help_text="Rol responsable (id de la definición).")
    status = serializers.ChoiceField(choices=CaseTask.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    assignee = serializers.CharField(source="assignee.user.username", default=None, allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.CharField(allow_blank=True)


class TaskRowOut(TaskOut):
    """The same fields read from a value row of `tasks_for_person_rows` (the inbox: no model instances)."""

    case = serializers.CharField(source="case_number", help_text="Número del expediente.")
    status_display = serializers.SerializerMethodField()
    assignee = serializers.CharField(source="assignee_username", allow_null=True)

    def get_status_display(self, row: dict) -> str:
        return CaseTask.Status(row["status"]).label


class DeadlineOut(serializers.ModelSerializer):
    class Meta:
        model = Deadline
        fields = ["time_rule", "text", "meaning", "activity", "anchor_at", "due_at", "status", "settled_at"]


class RecordOut(serializers.Serializer):
    id = serializers.IntegerField()
    record_id = serializers.CharField(help_text="Id del registro en la definición.")
    name = serializers.CharField()
    data = serializers.JSONField()
    effective_date = serializers.DateField()
    task = serializers.IntegerField(source="task_id", allow_null=True)
    created_at = serializers.DateTimeField()


class CaseOut(serializers.ModelSerializer):
    procedure = serializers.CharField(source="procedure_version.code")
    procedure_version = serializers.CharField(source="procedure_version.version")
    procedure_revision = serializers.IntegerField(source="procedure_version.revision")
    requester = serializers.CharField(source="requester.user.username")
    parent = serializers.CharField(source="parent.number", default=None, allow_null=True)
    status_display = serializers.CharField(source="get_status_display")
    tasks = TaskOut(many=True, read_only=True)
    deadlines = DeadlineOut(many=True, read_only=True)
    children = serializers.SlugRelatedField(many=True, read_only=True, slug_field="number")

    class Meta:
        model = Case
        fields = [
            "number",
            "procedure",
            "procedure_version",
            "procedure_revision",
            "requester",
            "inputs",
            "status",
            "status_display",
            "outcome",
            "cancel_reason",
            "suspend_reason",
            "parent",
            "children",
            "started_at",
            "due_at",
            "closed_at",
            "tasks",
            "deadlines",
        ]


class CaseDetailOut(CaseOut):
    records = serializers.SerializerMethodField()

    class Meta(CaseOut.Meta):
        fields = [*CaseOut.Meta.fields, "records"]

    def get_records(self, case: Case) -> list[dict]:
        return RecordOut(self.context["visible_records"], many=True).data


class CaseStateOut(serializers.Serializer):
    number = serializers.CharField()
    procedure = serializers.CharField(source="procedure_version.code")
    status = serializers.ChoiceField(choices=Case.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    outcome = serializers.CharField(allow_blank=True)
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class TaskCompletionOut(serializers.Serializer):
    """What a completion changed: the task, its records, the case's state and its open tasks now."""

    task = TaskOut()
    records = RecordOut(many=True)
    case = CaseStateOut()
    open_tasks = TaskOut(many=True)


class CaseStartIn(StrictInput):
    """Inicio de un expediente; un campo desconocido se rechaza."""

    procedure = serializers.CharField(max_length=80, help_text="Código del procedimiento, p. ej. PR.OTI.005.")
    inputs = serializers.DictField(
        required=False,
        default=dict,
        help_text="Entradas de la ficha por id, con su tipo; una entrada desconocida se rechaza.",
    )
    flow = serializers.CharField(required=False, allow_null=True, default=None, max_length=60)


class TaskCompleteIn(StrictInput):
    """Completar una tarea; un campo, registro o campo de registro desconocido se rechaza."""

    decision = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, default=None, max_length=200
    )
    data = serializers.DictField(
        required=False,
        default=dict,
        help_text="Registros que produce la actividad, por id: los campos de su formato (o `observaciones` "
        "si la ficha no da formato); un registro o campo desconocido se rechaza.",
    )
    effective_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Fecha en que los registros se produjeron: no posterior a hoy ni anterior a un año antes "
        "del inicio del expediente.",
    )


class TaskAssignIn(StrictInput):
    """Asignar una tarea."""

    assignee = serializers.CharField(max_length=150, help_text="Usuario de la persona a quien se asigna.")


class ReasonIn(StrictInput):
    """Motivo de una suspensión o anulación."""

    reason = serializers.CharField(max_length=2000)


class AttachmentIn(StrictInput):
    """Evidencia (multipart/form-data)."""

    file = serializers.FileField(help_text="El archivo, hasta 25 MB.")
    task = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Una tarea de este expediente que usted atiende (abierta) o completó: el archivo es "
        "evidencia de esa actividad, pertenece a sus registros y hereda su reserva. En una tarea abierta, el "
        "archivo cuenta como el registro al completarla.",
    )
    record = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=60,
        help_text="El registro de la actividad que el archivo documenta (id de la ficha); necesario si la "
        "actividad produce varios.",
    )
    reserved = serializers.BooleanField(
        required=False, default=False, help_text="Reservado a los roles del procedimiento que usted ejerce."
    )


class CommentIn(StrictInput):
    """Comentario."""

    text = serializers.CharField(max_length=5000)


class NotificationOut(serializers.ModelSerializer):
    case = serializers.CharField(source="case.number")

    class Meta:
        model = Notification
        fields = ["id", "case", "task", "message", "created_at", "read_at"]


class ProcedureOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    version = serializers.CharField()
    revision = serializers.IntegerField()


class CommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    task = serializers.IntegerField(source="task_id", allow_null=True)
    record = serializers.CharField(source="record_key", help_text="Registro que documenta (vacío: ninguno).")
    restricted_to = serializers.ListField(
        child=serializers.CharField(), help_text="Roles que lo ven (vacío: quien puede leer el expediente)."
    )
    uploaded_by = serializers.CharField(source="uploaded_by.full_name")
    created_at = serializers.DateTimeField()
