"""Input and output shapes of the REST API (inputs validate syntax; services validate meaning)."""

from rest_framework import serializers

from mapro.cases.models import Case, CaseRecord, CaseTask, Deadline, Notification


class TaskOut(serializers.ModelSerializer):
    case = serializers.CharField(source="case.number")
    status_display = serializers.CharField(source="get_status_display")
    assignee = serializers.CharField(source="assignee.user.username", default=None)

    class Meta:
        model = CaseTask
        fields = [
            "id",
            "case",
            "activity",
            "name",
            "kind",
            "role_code",
            "status",
            "status_display",
            "assignee",
            "due_at",
            "created_at",
            "completed_at",
            "decision",
        ]


class DeadlineOut(serializers.ModelSerializer):
    class Meta:
        model = Deadline
        fields = ["time_rule", "text", "meaning", "activity", "anchor_at", "due_at", "status", "settled_at"]


class RecordOut(serializers.ModelSerializer):
    class Meta:
        model = CaseRecord
        fields = ["id", "record_id", "name", "data", "effective_date", "task", "created_at"]


class CaseOut(serializers.ModelSerializer):
    procedure = serializers.CharField(source="procedure_version.code")
    procedure_version = serializers.CharField(source="procedure_version.version")
    procedure_revision = serializers.IntegerField(source="procedure_version.revision")
    requester = serializers.CharField(source="requester.user.username")
    parent = serializers.CharField(source="parent.number", default=None)
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


class CaseStartIn(serializers.Serializer):
    procedure = serializers.CharField(max_length=80)
    inputs = serializers.DictField(required=False, default=dict)
    flow = serializers.CharField(required=False, allow_null=True, default=None, max_length=60)


class TaskCompleteIn(serializers.Serializer):
    decision = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    data = serializers.DictField(required=False, default=dict)
    effective_date = serializers.DateField(required=False, allow_null=True, default=None)


class TaskAssignIn(serializers.Serializer):
    assignee = serializers.CharField(help_text="Usuario de la persona a quien se asigna.")


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CommentIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class NotificationOut(serializers.ModelSerializer):
    case = serializers.CharField(source="case.number")

    class Meta:
        model = Notification
        fields = ["id", "case", "task", "message", "created_at", "read_at"]
