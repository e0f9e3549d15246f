"""REST API v1, reports of an entity: the supervision report (docs/reports.md) and the indicators
(docs/indicators.md). Thin: the services decide."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from mapro.reports.indicators import deadline_compliance, indicator_values
from mapro.reports.supervision import FORMATS, supervision_render_for

from .views import ApiView, person_of

MAX_INDICATOR_DAYS = 366 * 5


class SupervisionReportApi(ApiView):
    """
    Informe de supervisión de la entidad para un periodo, en PDF o DOCX: por procedimiento los expedientes
    iniciados, concluidos, a tiempo y vencidos; los pendientes con su responsable; las evidencias; los
    indicadores y la verificación de la cadena de auditoría. Solo para quien supervisa el procedimiento,
    recibe su informe o es dueño de la ficha; para los demás responde 404.
    """

    extra_error_codes = (400, 404)  # 404: an entity or procedure the person does not supervise

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        # `format` names the document (pdf, docx), not a DRF renderer: DRF would answer 404 to `format=pdf`.
        # The body is the file itself; errors are JSON, the first renderer.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="supervision_report",
        parameters=[
            OpenApiParameter("entity", OpenApiTypes.STR, required=False, description="Código de la entidad."),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="Primer día del periodo."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Último día, incluido."),
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=sorted(FORMATS), description="pdf (omisión) o docx"
            ),
            OpenApiParameter(
                "procedure", OpenApiTypes.STR, many=True, description="Solo estos procedimientos (repetible)."
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, FORMATS["docx"]): OpenApiTypes.BINARY,
        },
        summary="Informe de supervisión de un periodo (PDF o DOCX)",
    )
    def get(self, request: Request) -> HttpResponse:
        query = request.query_params
        fmt = query.get("format") or "pdf"
        content, report = supervision_render_for(
            person=person_of(request),
            entity_code=query.get("entity"),
            start=query.get("from"),
            end=query.get("to"),
            fmt=fmt,
            procedure_codes=query.getlist("procedure") or None,
        )
        response = HttpResponse(content, content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{report.filename(fmt)}"'
        return response


class IndicatorsQuerySerializer(serializers.Serializer):
    """`from`, `to` (named as in the supervision report; `from` cannot be an attribute) and `procedure`."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateField(help_text="Primer día del periodo (AAAA-MM-DD)."),
            "to": serializers.DateField(help_text="Último día, incluido."),
            "procedure": serializers.ListField(
                child=serializers.CharField(max_length=80, allow_blank=True),
                required=False,
                help_text="Solo estos (repetible; vacío: todos).",
            ),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": ["La fecha final es anterior a la inicial."]})
        if (attrs["to"] - attrs["from"]).days > MAX_INDICATOR_DAYS:
            raise serializers.ValidationError({"to": ["El periodo abarca más de cinco años."]})
        return attrs


class CountValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class IndicatorValueSerializer(serializers.Serializer):
    procedure_code = serializers.CharField()
    indicator_id = serializers.CharField()
    name = serializers.CharField()
    formula = serializers.CharField(help_text="La fórmula con las palabras de la ficha.")
    unit = serializers.CharField()
    frequency = serializers.CharField()
    responsible = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    value = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    numerator_label = serializers.CharField()
    denominator_label = serializers.CharField()
    baseline = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    target = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    deviation = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    verdict = serializers.CharField(help_text="cumple | dentro de la desviación | no cumple | sin datos")
    reason = serializers.CharField()
    also = CountValueSerializer(many=True, help_text="Conteos que la ficha informa junto al valor.")


class ComplianceRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Código del procedimiento o identificador del rol.")
    label = serializers.CharField()
    met = serializers.IntegerField()
    missed = serializers.IntegerField()
    pending = serializers.IntegerField()
    expired = serializers.IntegerField()


class IndicatorsReportSerializer(serializers.Serializer):
    entity = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    indicators = IndicatorValueSerializer(many=True)
    compliance_by_procedure = ComplianceRowSerializer(many=True)
    compliance_by_role = ComplianceRowSerializer(many=True)


class IndicatorsReportApi(ApiView):
    """
    Indicadores de las fichas de la entidad de la persona calculados desde sus expedientes para un periodo
    (valor, numerador y denominador, veredicto frente a línea base, meta y desviación, o «sin datos» con el
    motivo), y el cumplimiento de plazos por procedimiento y por rol. Las mismas cifras que el Tablero.
    """

    extra_error_codes = (400,)

    @extend_schema(
        operation_id="indicators_report",
        parameters=[IndicatorsQuerySerializer],
        responses=IndicatorsReportSerializer,
        summary="Indicadores y cumplimiento de plazos de un periodo",
    )
    def get(self, request: Request) -> Response:
        query = IndicatorsQuerySerializer(
            data={**request.query_params.dict(), "procedure": request.query_params.getlist("procedure")}
        )
        query.is_valid(raise_exception=True)
        period = {
            "entity": person_of(request).entity,
            "start": query.validated_data["from"],
            "end": query.validated_data["to"],
            "procedure_codes": [code for code in query.validated_data.get("procedure", []) if code] or None,
        }
        report = {
            "entity": period["entity"].code,
            "start": period["start"],
            "end": period["end"],
            "indicators": indicator_values(**period),
            "compliance_by_procedure": deadline_compliance(**period, by="procedure"),
            "compliance_by_role": deadline_compliance(**period, by="role"),
        }
        return Response(IndicatorsReportSerializer(report).data)
