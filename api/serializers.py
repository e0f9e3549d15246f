"""Input and output shapes of the REST API (inputs validate syntax; services validate meaning)."""

from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mapro.cases.models import Case, CaseTask, Deadline, Notification
from mapro.catalogue.definition.schema import ActivityKind

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


SUBJECT_HELP = (
    "Asunto del expediente: de qué trata, armado con sus datos por la plantilla `subject` de la definición "
    "(p. ej. «Baja de jperez@vivienda.gob.pe — Culminación de la orden de servicio»). Vacío si la "
    "definición no tiene plantilla."
)


class TaskOut(serializers.Serializer):
    """
    A task. Plain fields, not a ModelSerializer: these are built on every completion and inbox row, and a
    ModelSerializer introspects the model each time it is instantiated.
    """

    id = serializers.IntegerField()
    case = serializers.CharField(source="case.number", help_text="Número del expediente.")
    subject = serializers.CharField(source="case.subject", help_text=SUBJECT_HELP)
    activity = serializers.IntegerField(help_text="Número de la actividad en la ficha.")
    name = serializers.CharField()
    kind = serializers.CharField()
    role_code = serializers.CharField(help_text="Rol responsable (id de la definición): el de su carril.")
    roles = serializers.ListField(
        child=serializers.CharField(),
        help_text="Roles que pueden completarla (ids de la definición): role_code y, si la ficha nombra "
        "varios responsables de los que basta uno, los demás. 'requester': solo quien inició el expediente.",
    )
    status = serializers.ChoiceField(choices=CaseTask.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    assignee = serializers.CharField(source="assignee.user.username", default=None, allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.CharField(allow_blank=True)
    decision_reason = serializers.CharField(
        allow_blank=True, help_text="El motivo escrito al tomar la decisión, si su opción lo pide."
    )
    routing_note = serializers.CharField(
        allow_blank=True, help_text="El último proveído: la nota de quien asignó o derivó la tarea."
    )
    overdue = serializers.SerializerMethodField(help_text="Pendiente y con su plazo (`due_at`) ya vencido.")

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, task) -> bool:
        row = task if isinstance(task, dict) else {"status": task.status, "due_at": task.due_at}
        due = row["due_at"]
        return row["status"] == CaseTask.Status.OPEN and due is not None and due < timezone.now()


class TaskRowOut(TaskOut):
    """The same fields read from a value row of `tasks_for_person_rows` (the inbox: no model instances)."""

    case = serializers.CharField(source="case_number", help_text="Número del expediente.")
    subject = serializers.CharField(source="case_subject", help_text=SUBJECT_HELP)
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
    requester = serializers.CharField(
        source="requester.user.username",
        default=None,
        allow_null=True,
        help_text="Usuario del solicitante; null si es un contacto externo (sin usuario).",
    )
    requester_name = serializers.CharField(source="requester.full_name")
    registered_by = serializers.CharField(
        source="registered_by.user.username",
        default=None,
        allow_null=True,
        help_text="Quien lo registró a nombre del solicitante (la mesa de ayuda); null si lo inició él.",
    )
    parent = serializers.CharField(source="parent.number", default=None, allow_null=True)
    status_display = serializers.CharField(source="get_status_display")
    tasks = TaskOut(many=True, read_only=True)
    deadlines = DeadlineOut(many=True, read_only=True)
    children = serializers.SlugRelatedField(many=True, read_only=True, slug_field="number")

    subject = serializers.CharField(read_only=True, help_text=SUBJECT_HELP)

    class Meta:
        model = Case
        fields = [
            "number",
            "subject",
            "procedure",
            "procedure_version",
            "procedure_revision",
            "requester",
            "requester_name",
            "registered_by",
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
    subject = serializers.CharField(help_text=SUBJECT_HELP)
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


class RequesterContactIn(StrictInput):
    """Un solicitante externo: nombre, correo (por él se le informa) y teléfono."""

    name = serializers.CharField(max_length=200)
    email = serializers.CharField(max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class CaseStartIn(StrictInput):
    """Inicio de un expediente; un campo desconocido se rechaza."""

    procedure = serializers.CharField(max_length=80, help_text="Código del procedimiento, p. ej. PR.OTI.005.")
    inputs = serializers.DictField(
        required=False,
        default=dict,
        help_text="Entradas de la ficha por id, con su tipo; una entrada desconocida se rechaza.",
    )
    flow = serializers.CharField(required=False, allow_null=True, default=None, max_length=60)
    requester = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=150,
        help_text="Registrar a nombre de otra persona: el usuario de una persona de la entidad, que será el "
        "solicitante. Solo quien atiende el procedimiento (docs/permissions.md).",
    )
    requester_contact = RequesterContactIn(
        required=False,
        allow_null=True,
        default=None,
        help_text="Registrar a nombre de un contacto externo (sin usuario): nombre, correo y teléfono. Se "
        "reutiliza el contacto externo con el mismo correo. No junto con `requester`.",
    )
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Iniciar aunque un expediente abierto del procedimiento ya tenga el mismo valor en una "
        "entrada marcada `unique_open` (sin esto, 400 que nombra ese expediente).",
    )


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
    reason = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        max_length=2000,
        help_text="El motivo, obligatorio si la opción elegida lo pide (`reason` de la opción en la ficha, "
        "p. ej. «Motivo del rechazo»); una opción que no lo pide lo rechaza.",
    )


class TaskListQuery(serializers.Serializer):
    """Filtros de la lista de tareas (parámetros de la URL)."""

    case = serializers.CharField(
        required=False,
        max_length=40,
        validators=[RegexValidator(r"^[^\x00]*$", "Sin caracteres nulos.")],
        help_text="Número del expediente: todas sus tareas, si puede leerlo (si no, lista vacía).",
    )
    status = serializers.ChoiceField(required=False, choices=CaseTask.Status.choices)


class TaskAssignIn(StrictInput):
    """Asignar o reasignar una tarea, con un proveído opcional."""

    assignee = serializers.CharField(max_length=150, help_text="Usuario de la persona a quien se asigna.")
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Proveído: qué debe hacer quien la recibe (queda en el historial).",
    )


class TaskForwardIn(StrictInput):
    """Derivar una tarea a otra persona de su rol, con proveído."""

    assignee = serializers.CharField(max_length=150, help_text="Usuario de la persona a quien se deriva.")
    note = serializers.CharField(
        allow_blank=True, max_length=2000, help_text="Proveído (obligatorio): qué debe hacer quien la recibe."
    )


class TaskReleaseIn(StrictInput):
    """Liberar una tarea: vuelve a la bandeja de su rol."""

    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Nota opcional."
    )


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
        fields = [
            "id",
            "case",
            "task",
            "activity",
            "kind",
            "recipient",
            "text",
            "message",
            "created_at",
            "read_at",
        ]


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


# --- what a procedure runs (GET /procedures/{code}/) ------------------------------------------------------


class ConditionOut(serializers.Serializer):
    data = serializers.CharField(help_text="`inputs.<id>` o `<registro>.<campo>`: el dato del expediente.")
    equals = serializers.JSONField(allow_null=True, help_text="Valor exigido (texto, número o sí/no).")
    one_of = serializers.ListField(child=serializers.JSONField(), help_text="Valores admitidos.")
    min = serializers.FloatField(allow_null=True, help_text="Mínimo, inclusive.")
    max = serializers.FloatField(allow_null=True, help_text="Máximo, inclusive.")
    text = serializers.CharField(allow_null=True, help_text="La condición con las palabras de la ficha.")


class OnExpiryOut(serializers.Serializer):
    action = serializers.ChoiceField(choices=["branch", "complete", "close"])
    branch = serializers.CharField(allow_null=True, help_text="Rama que se toma (acción `branch`).")
    outcome = serializers.CharField(allow_null=True, help_text="Resultado del expediente (acción `close`).")
    text = serializers.CharField(allow_null=True)


class TimeRuleOut(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField(help_text="La regla como la escribe la ficha.")
    activity = serializers.IntegerField(
        allow_null=True, help_text="Actividad a la que se aplica; nula: al expediente."
    )
    amount = serializers.IntegerField()
    unit = serializers.ChoiceField(
        choices=[
            "clock_hours",
            "working_hours",
            "calendar_days",
            "working_days",
            "months",
            "years",
            "year_end",
        ]
    )
    anchor = serializers.CharField(help_text="Evento desde el que corre (`case_start` o el id de un evento).")
    meaning = serializers.ChoiceField(choices=["deadline", "validity", "response_window"])
    condition = ConditionOut(allow_null=True, help_text="La regla solo se aplica si se cumple.")
    on_expiry = OnExpiryOut(allow_null=True, help_text="Lo que hace el sistema al vencer el plazo.")
    legal_basis = serializers.CharField(allow_null=True)
    seed_line = serializers.IntegerField(allow_null=True)


class FormatFieldOut(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField(help_text="text, long_text, integer, decimal, boolean, date, … table.")
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField())
    activity = serializers.IntegerField(
        allow_null=True, help_text="Actividad que llena (y exige) el campo, si el formato se llena en varias."
    )
    help = serializers.CharField(allow_null=True)
    columns = serializers.ListField(
        child=serializers.DictField(), help_text="Columnas de un campo tabla (con estos mismos campos)."
    )


class FormatOut(serializers.Serializer):
    id = serializers.CharField()
    code = serializers.CharField(allow_null=True, help_text="Como lo escribe la ficha, p. ej. «Anexo 01».")
    name = serializers.CharField()
    fields = FormatFieldOut(many=True)


class ActivityRecordOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    optional = serializers.BooleanField(help_text="La actividad puede completarse sin él.")
    restricted_to = serializers.ListField(child=serializers.CharField())
    format = FormatOut(allow_null=True)


class RecipientOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["role", "requester", "contact"])
    role = serializers.CharField(allow_null=True)
    contact = serializers.CharField(allow_null=True, help_text="Entidad o persona externa, p. ej. SGTD-PCM.")
    address = serializers.CharField(allow_null=True)
    channel = serializers.CharField(allow_null=True, help_text="correo, oficio, memorando…")
    text = serializers.CharField(allow_null=True, help_text="Las palabras de la ficha que lo nombran.")


class BranchOut(serializers.Serializer):
    label = serializers.CharField()
    targets = serializers.ListField(
        child=serializers.IntegerField(), help_text="Actividades siguientes (varias: empiezan a la vez)."
    )
    ends = serializers.BooleanField(help_text="La rama termina el procedimiento.")
    outcome = serializers.CharField(allow_null=True)


class DecisionOut(serializers.Serializer):
    question = serializers.CharField()
    branches = BranchOut(many=True)


class CallInputOut(serializers.Serializer):
    input = serializers.CharField()
    source = serializers.CharField(allow_null=True)
    value = serializers.CharField(allow_null=True)


class CallOut(serializers.Serializer):
    procedure = serializers.CharField()
    flow = serializers.CharField(allow_null=True)
    wait = serializers.BooleanField()
    inputs = CallInputOut(many=True)


class ActivityOut(serializers.Serializer):
    number = serializers.IntegerField(help_text="Número de la actividad en la ficha.")
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=[k.value for k in ActivityKind])
    task = serializers.BooleanField(
        help_text="Crea una tarea; falso solo para la fila numerada «Fin del procedimiento» (end_event)."
    )
    role = serializers.CharField(help_text="Rol responsable (`requester`: quien inició el expediente).")
    co_roles = serializers.ListField(child=serializers.CharField())
    roles = serializers.ListField(child=serializers.CharField(), help_text="`role` y luego `co_roles`.")
    completion = serializers.ChoiceField(choices=["any", "each"])
    next = serializers.ListField(
        child=serializers.IntegerField(), help_text="Actividades siguientes si no es una decisión."
    )
    ends = serializers.BooleanField(help_text="Después de esta actividad termina el procedimiento.")
    outcome = serializers.CharField(allow_null=True)
    decision = DecisionOut(allow_null=True)
    parallel = serializers.ListField(child=serializers.IntegerField(), help_text="Empiezan todas a la vez.")
    join = serializers.ListField(child=serializers.IntegerField(), help_text="Espera a que terminen todas.")
    when = ConditionOut(allow_null=True, help_text="Solo se realiza si se cumple; si no, se omite.")
    records = ActivityRecordOut(many=True)
    informs = RecipientOut(many=True, help_text="A quién informa, según el texto de la ficha.")
    call = CallOut(allow_null=True)
    time_rules = TimeRuleOut(many=True)
    seed_line = serializers.IntegerField(allow_null=True)


class FlowOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    start = serializers.ListField(child=serializers.IntegerField())
    trigger = serializers.CharField(allow_null=True)
    inputs = serializers.ListField(child=serializers.CharField(), help_text="Entradas que usa este flujo.")


class InputOut(serializers.Serializer):
    id = serializers.CharField()
    element = serializers.CharField()
    type = serializers.CharField()
    mandatory = serializers.BooleanField()
    flows = serializers.ListField(
        child=serializers.CharField(), help_text="Flujos donde es obligatoria; vacío: todos."
    )
    choices = serializers.ListField(child=serializers.CharField())
    provider = serializers.CharField(allow_null=True)


class UnitOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    acronym = serializers.CharField(allow_null=True)


class RoleOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()


class ProcedureDetailOut(serializers.Serializer):
    """Lo que ejecuta la versión vigente de un procedimiento: actividades, flujos, entradas, roles."""

    code = serializers.CharField()
    name = serializers.CharField()
    entity = serializers.CharField()
    version = serializers.CharField()
    revision = serializers.IntegerField()
    objective = serializers.CharField()
    start = serializers.ListField(
        child=serializers.IntegerField(), help_text="Actividades de inicio (vacío si hay flujos)."
    )
    flows = FlowOut(many=True)
    inputs = InputOut(many=True)
    units = UnitOut(many=True)
    roles = RoleOut(many=True)
    activities = ActivityOut(many=True)
    time_rules = TimeRuleOut(many=True, help_text="Todas las reglas de plazo, también las del expediente.")


class CaseNotificationOut(serializers.Serializer):
    """A quién se informó en el expediente: personas de la entidad y contactos externos."""

    id = serializers.IntegerField()
    activity = serializers.IntegerField(allow_null=True, help_text="Actividad que lo informó.")
    task = serializers.IntegerField(source="task_id", allow_null=True)
    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    recipient = serializers.CharField(
        help_text="Id del rol, `requester`, o el nombre del contacto externo.", allow_blank=True
    )
    person = serializers.CharField(source="person.user.username", default=None, allow_null=True)
    person_name = serializers.CharField(source="person.full_name", default=None, allow_null=True)
    address = serializers.CharField(allow_blank=True)
    channel = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True, help_text="Las palabras de la ficha.")
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
