"""
GET /api/v1/cases/: the Expedientes list through the API — the same filters, search, sorting and paging as
the web list (mapro.cases.search), over the cases the person may read. POST on the same path starts a case
(views.CaseStartApi, inherited unchanged).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from mapro.cases.models import Case
from mapro.cases.search import (
    DEFAULT_ORDERING,
    ORDERING_CHOICES,
    PAGE_SIZE,
    QUERY_MAX,
    CaseFilters,
    case_page,
    cases_filtered,
)
from mapro.core.errors import InvalidInputError

from .schema import ErrorAwareAutoSchema
from .views import CaseStartApi, _messages, person_of

NO_NUL = [RegexValidator(r"^[^\x00]*$", "Sin caracteres nulos.")]
PAGE_MAX = 1_000_000


def _text(max_length: int, help_text: str) -> serializers.CharField:
    # Not trimmed: a value longer than the schema's maxLength is refused even if it ends in spaces.
    return serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=max_length,
        validators=NO_NUL,
        help_text=help_text,
    )


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": PAGE_MAX})
class PageField(serializers.CharField):
    """Digits only: DRF's IntegerField would take "2.0" or " 2", which the schema's integer does not allow."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        text = super().to_internal_value(data)
        if not re.fullmatch(r"[1-9][0-9]{0,6}", text) or int(text) > PAGE_MAX:
            raise serializers.ValidationError(f"Número de página: un entero de 1 a {PAGE_MAX}.")
        return int(text)


class CaseListQuery(serializers.Serializer):
    """Filtros, orden y página de la lista de expedientes (parámetros de la URL)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "q": _text(
                QUERY_MAX,
                "Texto a buscar en el número, el asunto, los datos de inicio y el nombre del solicitante, "
                "sin distinguir mayúsculas ni tildes.",
            ),
            "procedure": _text(80, "Código del procedimiento, p. ej. PR.OTI.005."),
            "status": serializers.ChoiceField(
                required=False, choices=Case.Status.choices, help_text="Estado del expediente."
            ),
            "role": _text(60, "Rol (id de la ficha) de una actividad en curso del expediente."),
            "assignee": _text(150, "Usuario de la persona a quien está asignada una actividad en curso."),
            "overdue": serializers.ChoiceField(
                required=False,
                choices=["true", "false"],
                help_text="true: solo expedientes en curso con su plazo vencido (con `role` o `assignee`: "
                "con esa actividad vencida); false u omitido: sin filtrar.",
            ),
            "from": serializers.DateField(required=False, help_text="Iniciados desde este día (AAAA-MM-DD)."),
            "to": serializers.DateField(required=False, help_text="Iniciados hasta este día, incluido."),
            "requester": _text(150, "Usuario de quien solicitó el expediente."),
            "ordering": serializers.ChoiceField(
                required=False,
                choices=ORDERING_CHOICES,
                help_text=f"Orden: number, started, due, status o procedure; con «-» delante, descendente. "
                f"Por omisión {DEFAULT_ORDERING}.",
            ),
            "page": PageField(required=False, help_text=f"Página de {PAGE_SIZE} expedientes, desde 1."),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from") and attrs.get("to") and attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": ["La fecha final no puede ser anterior a la inicial."]})
        return attrs


class CurrentStepOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id de la tarea.")
    activity = serializers.IntegerField(help_text="Número de la actividad en la ficha.")
    name = serializers.CharField()
    role_code = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    assignee = serializers.CharField(source="assignee.user.username", default=None, allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class CaseRowOut(serializers.Serializer):
    number = serializers.CharField()
    subject = serializers.CharField(allow_blank=True, help_text="De qué trata el expediente.")
    procedure = serializers.CharField(source="procedure_version.code")
    procedure_name = serializers.CharField(source="procedure_version.name")
    status = serializers.ChoiceField(choices=Case.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    requester = serializers.CharField(
        source="requester.user.username",
        default=None,
        allow_null=True,
        help_text="Usuario del solicitante (nulo si es un contacto externo sin usuario).",
    )
    requester_name = serializers.CharField(source="requester.full_name")
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="En curso y con su plazo (`due_at`) ya vencido.")
    current = CurrentStepOut(
        source="open_tasks", many=True, help_text="Las actividades en curso, con su rol y asignado."
    )

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, case: Case) -> bool:
        return case.status == Case.Status.OPEN and case.due_at is not None and case.due_at < timezone.now()


class CasePageOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Expedientes que cumplen los filtros (todas las páginas).")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = CaseRowOut(many=True)


class _ListSchema(ErrorAwareAutoSchema):
    def _error_codes(self) -> set[int]:
        codes = super()._error_codes()
        return codes - {422} if self.method == "GET" else codes  # 422: an Idempotency-Key, POST only


# No docstring: the schema would show it as the description of the inherited POST too.
class CaseListApi(CaseStartApi):
    extra_error_codes = (400, 422)
    schema = _ListSchema()

    @extend_schema(
        operation_id="cases_list",
        parameters=[CaseListQuery],
        responses=CasePageOut,
        summary="Buscar expedientes",
        description="Los expedientes que puedo leer, filtrados, ordenados y paginados (50 por página): los "
        "mismos filtros que la lista Expedientes de la web. Un parámetro inválido responde 400 con "
        "`field_errors`; una página después de la última, una lista vacía.",
    )
    def get(self, request: Request) -> Response:
        # A plain dict, not the QueryDict: with it DRF would take an empty `?status=` for an absent filter.
        query = CaseListQuery(data=request.query_params.dict())
        if not query.is_valid():
            raise InvalidInputError({k: _messages(v) for k, v in query.errors.items()}, "Revise los filtros.")
        data = query.validated_data
        filters = CaseFilters(
            q=data.get("q", "").strip(),
            procedure=data.get("procedure", "").strip(),
            status=data.get("status", ""),
            role=data.get("role", "").strip(),
            assignee=data.get("assignee", "").strip(),
            overdue=data.get("overdue") == "true",
            started_from=data.get("from"),
            started_to=data.get("to"),
            requester=data.get("requester", "").strip(),
            ordering=data.get("ordering") or DEFAULT_ORDERING,
        )
        page = case_page(cases_filtered(person=person_of(request), filters=filters), page=data.get("page", 1))
        body = {
            "count": page.count,
            "page": page.number,
            "pages": page.pages,
            "page_size": page.size,
            "results": page.cases,
        }
        return Response(CasePageOut(body).data)
