"""REST API v1, reports of an entity: the supervision report (docs/reports.md). Thin: the service decides."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request

from mapro.reports.supervision import FORMATS, supervision_render_for

from .views import ApiView, person_of


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
