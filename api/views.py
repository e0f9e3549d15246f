"""
REST API v1: thin handlers that parse input, call one service or selector, and shape the output.

Authentication: token (`Authorization: Token …`) or the web session. Every handler acts as the
authenticated person; permission rules live in the services, which audit refusals.

Bodies are JSON only (api/parsers.py: bounded depth, no NUL; Django bounds the size), except attachments; an
input body refuses unknown fields (serializers.StrictInput). Every error answers the ErrorOut body. Case
start and task completion honour an `Idempotency-Key` header (api/idempotency.py).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mapro.cases import services
from mapro.cases.access import attachment_for_download, attachments_readable, cases_readable
from mapro.cases.models import Case, CaseTask, Notification
from mapro.cases.selectors import (
    case_notifications,
    case_records_visible,
    procedure_version_definition,
    task_rows_with_roles,
    tasks_for_person_rows,
)
from mapro.catalogue.describe import procedure_describe
from mapro.catalogue.models import ProcedureVersion
from mapro.core.errors import InvalidInputError
from mapro.organization.models import Person
from mapro.organization.selectors import person_role_codes
from mapro.reports.services import FORMATS, acta_render

from . import serializers as s
from .idempotency import HEADER, REPLAYED_HEADER, idempotent
from .parsers import BoundedJSONParser
from .schema import ErrorAwareAutoSchema

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[\x21-\x7e]{1,255}$",
    description="Clave única de este intento (p. ej. un UUID). Un reintento con la misma clave, de la misma "
    "persona y con el mismo cuerpo, responde lo mismo que la primera vez (con el encabezado "
    f"`{REPLAYED_HEADER}: true`) sin volver a actuar; con otro cuerpo responde 422. Solo se guardan las "
    "respuestas 2xx, durante al menos 24 horas.",
)


# Every handler of the API: JSON bodies through the bounded parser, errors in the schema. (A comment: the
# schema shows a view's docstring, inherited ones too, as the description of its operations.)
class ApiView(APIView):
    parser_classes = [BoundedJSONParser]
    schema = ErrorAwareAutoSchema()


def person_of(request: Request) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Su usuario no está vinculado a una persona de la entidad.")
    return person


def case_of(request: Request, number: str) -> Case:
    """The case if the person may read it (mapro.cases.access); one they may not is a 404, as if absent."""
    person = person_of(request)
    queryset = (
        cases_readable(person=person)
        .select_related("procedure_version", "requester__user", "registered_by__user", "parent")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=CaseTask.objects.select_related("case", "assignee__user")
                .prefetch_related("co_roles")
                .order_by("created_at"),
            ),
            "deadlines",
            "children",
        )
    )
    return get_object_or_404(queryset, number=number)


def case_response(request: Request, case: Case, code: int = status.HTTP_200_OK) -> Response:
    case = case_of(request, case.number)
    visible = case_records_visible(case=case, person=person_of(request))
    return Response(s.CaseDetailOut(case, context={"visible_records": visible}).data, status=code)


class ProcedureListApi(ApiView):
    @extend_schema(responses=s.ProcedureOut(many=True), summary="Procedimientos vigentes de la entidad")
    def get(self, request: Request) -> Response:
        versions = ProcedureVersion.objects.filter(is_current=True, entity=person_of(request).entity)
        return Response(
            [
                {"code": v.code, "name": v.name, "version": v.version, "revision": v.revision}
                for v in versions.order_by("code")
            ]
        )


class ProcedureDetailApi(ApiView):
    @extend_schema(
        responses=s.ProcedureDetailOut,
        summary="Lo que ejecuta un procedimiento vigente",
        description="Actividades (número, tipo, roles, decisión con sus ramas y destinos, paralelas, "
        "registros con los campos de su formato, reglas de plazo, a quién informa), flujos con sus entradas, "
        "entradas, roles y unidades de la versión vigente en su entidad. 404 si no existe.",
    )
    def get(self, request: Request, code: str) -> Response:
        version = get_object_or_404(
            ProcedureVersion.objects.defer("source_text", "bpmn_xml"),
            code=code,
            is_current=True,
            entity=person_of(request).entity,
        )
        definition = procedure_version_definition(version=version)
        body = procedure_describe(definition=definition, revision=version.revision)
        return Response(s.ProcedureDetailOut(body).data)


class CaseStartApi(ApiView):
    extra_error_codes = (422,)

    @extend_schema(
        request=s.CaseStartIn,
        responses={201: s.CaseDetailOut},
        parameters=[IDEMPOTENCY_KEY],
        summary="Iniciar un expediente",
    )
    def post(self, request: Request) -> Response:
        return idempotent(request, lambda: self._start(request))

    def _start(self, request: Request) -> Response:
        data = _valid(s.CaseStartIn, request)
        case = services.case_start(
            procedure_code=data["procedure"],
            requester=person_of(request),
            inputs=data["inputs"],
            flow=data["flow"],
            on_behalf_of=data["requester"],
            contact=data["requester_contact"],
            confirm_duplicate=data["confirm_duplicate"],
        )
        return case_response(request, case, status.HTTP_201_CREATED)


class CaseDetailApi(ApiView):
    @extend_schema(responses=s.CaseDetailOut, summary="Expediente con tareas, plazos y registros visibles")
    def get(self, request: Request, number: str) -> Response:
        return case_response(request, case_of(request, number))


class CaseSuspendApi(ApiView):
    @extend_schema(request=s.ReasonIn, responses=s.CaseDetailOut, summary="Suspender")
    def post(self, request: Request, number: str) -> Response:
        data = _valid(s.ReasonIn, request)
        case = services.case_suspend(case_id=case_of(request, number).pk, actor=person_of(request), **data)
        return case_response(request, case)


class CaseResumeApi(ApiView):
    @extend_schema(request=None, responses=s.CaseDetailOut, summary="Reanudar")
    def post(self, request: Request, number: str) -> Response:
        case = services.case_resume(case_id=case_of(request, number).pk, actor=person_of(request))
        return case_response(request, case)


class CaseCancelApi(ApiView):
    @extend_schema(request=s.ReasonIn, responses=s.CaseDetailOut, summary="Anular (con motivo)")
    def post(self, request: Request, number: str) -> Response:
        data = _valid(s.ReasonIn, request)
        case = services.case_cancel(case_id=case_of(request, number).pk, actor=person_of(request), **data)
        return case_response(request, case)


class CaseCommentApi(ApiView):
    @extend_schema(request=s.CommentIn, responses={201: s.CommentOut}, summary="Agregar comentario")
    def post(self, request: Request, number: str) -> Response:
        data = _valid(s.CommentIn, request)
        comment = services.case_comment_add(
            case_id=case_of(request, number).pk, actor=person_of(request), **data
        )
        return Response({"id": comment.pk, "text": comment.text}, status=status.HTTP_201_CREATED)


class CaseAttachmentApi(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(responses=s.AttachmentOut(many=True), summary="Adjuntos que puedo descargar")
    def get(self, request: Request, number: str) -> Response:
        person = person_of(request)
        case = case_of(request, number)
        roles = person_role_codes(person=person, entity=person.entity)
        return Response(
            s.AttachmentOut(attachments_readable(case=case, person=person, roles=roles), many=True).data
        )

    @extend_schema(
        request={"multipart/form-data": s.AttachmentIn},
        responses={201: s.AttachmentOut},
        summary="Adjuntar evidencia",
    )
    def post(self, request: Request, number: str) -> Response:
        data = _valid(s.AttachmentIn, request)
        attachment = services.case_attachment_add(
            case_id=case_of(request, number).pk,
            actor=person_of(request),
            upload=data["file"],
            task_id=data["task"],
            record=data["record"],
            reserved=data["reserved"],
        )
        return Response(s.AttachmentOut(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadApi(ApiView):
    @extend_schema(
        responses={(200, "*/*"): OpenApiTypes.BINARY},
        summary="Descargar un adjunto (404 si está reservado a roles que no ejerce)",
    )
    def get(self, request: Request, number: str, attachment_id: int) -> FileResponse:
        case = case_of(request, number)
        attachment = attachment_for_download(
            case=case, person=person_of(request), attachment_id=attachment_id
        )
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)


class CaseNotificationListApi(ApiView):
    @extend_schema(
        responses=s.CaseNotificationOut(many=True),
        summary="A quién se informó en el expediente",
        description="Cada destinatario que informó una actividad completada: los roles RACI «I» y los que "
        "nombra el texto de la ficha (un rol, el solicitante o un contacto externo con su dirección). "
        "Con la regla de lectura del expediente.",
    )
    def get(self, request: Request, number: str) -> Response:
        rows = case_notifications(case=case_of(request, number))
        return Response(s.CaseNotificationOut(rows, many=True).data)


class CaseActaApi(ApiView):
    """
    Un formato de la ficha (acta, anexo) lleno con los registros del expediente que la persona puede ver,
    en PDF o DOCX: cabecera de la entidad, cada campo con su valor y quién lo registró, y bloques de firma.
    `document` es el id del formato (`acta_control`) o, para un anexo sin formato en la ficha, el del registro
    (`registro_actividades`). Responde 404 si el expediente, el documento o sus registros no son visibles.
    """

    @extend_schema(
        operation_id="case_acta",
        parameters=[
            OpenApiParameter(
                "document",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=r"^[a-z][a-z0-9_]*$",
                description="Id del formato en la ficha, o del registro de un anexo sin formato.",
            ),
            OpenApiParameter(
                "fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(FORMATS), description="pdf o docx"
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, FORMATS["docx"]): OpenApiTypes.BINARY,
        },
        summary="Acta o formato lleno con los registros del expediente (PDF o DOCX)",
    )
    def get(self, request: Request, number: str, document: str, fmt: str) -> HttpResponse:
        case = case_of(request, number)
        content, acta = acta_render(case=case, document_id=document, person=person_of(request), fmt=fmt)
        response = HttpResponse(content, content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{acta.filename(fmt)}"'
        return response


class TaskListApi(ApiView):
    extra_error_codes = (400,)

    @extend_schema(
        responses=s.TaskOut(many=True),
        summary="Mi bandeja, o las tareas de un expediente",
        description="Sin `case`: las tareas pendientes que puedo atender (vencidas primero). Con `case`: "
        "todas las tareas de ese expediente si puedo leerlo (si no, una lista vacía).",
        parameters=[s.TaskListQuery],
    )
    def get(self, request: Request) -> Response:
        person = person_of(request)
        # A plain dict, not the QueryDict: with it DRF would take an empty `?status=` for an absent filter.
        query = s.TaskListQuery(data=request.query_params.dict())
        if not query.is_valid():
            raise InvalidInputError({k: _messages(v) for k, v in query.errors.items()})
        number, task_status = query.validated_data.get("case"), query.validated_data.get("status")
        if number is None:
            rows = tasks_for_person_rows(person=person)
            if task_status:
                rows = rows.filter(status=task_status)
            return Response(s.TaskRowOut(task_rows_with_roles(rows[:500]), many=True).data)
        case = cases_readable(person=person).filter(number=number).first()
        if case is None:
            return Response([])
        tasks = case.tasks.select_related("case", "assignee__user").order_by("created_at", "pk")
        if task_status:
            tasks = tasks.filter(status=task_status)
        return Response(s.TaskOut(tasks[:500], many=True).data)


class TaskCompleteApi(ApiView):
    extra_error_codes = (422,)

    @extend_schema(
        request=s.TaskCompleteIn,
        responses=s.TaskCompletionOut,
        parameters=[IDEMPOTENCY_KEY],
        summary="Completar una tarea",
        description="Responde con la tarea, los registros que produjo, el estado del expediente y sus tareas "
        "abiertas; el expediente completo está en GET /api/v1/cases/{number}/.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        return idempotent(request, lambda: self._complete(request, task_id))

    def _complete(self, request: Request, task_id: int) -> Response:
        data = _valid(s.TaskCompleteIn, request)
        completion = services.case_task_complete(task_id=task_id, actor=person_of(request), **data)
        return Response(s.TaskCompletionOut(completion).data)


class TaskClaimApi(ApiView):
    @extend_schema(
        request=None,
        responses=s.TaskOut,
        summary="Asignarme una tarea de mi rol",
        description="Una tarea sin asignar de un rol que tengo; una asignada a otra persona, solo si soy "
        "jefe de la unidad de la actividad o responsable del procedimiento (docs/permissions.md).",
    )
    def post(self, request: Request, task_id: int) -> Response:
        task = services.case_task_claim(task_id=task_id, actor=person_of(request))
        return Response(s.TaskOut(task).data)


class TaskAssignApi(ApiView):
    @extend_schema(
        request=s.TaskAssignIn,
        responses=s.TaskOut,
        summary="Asignar o reasignar una tarea",
        description="A una persona que tiene el rol de la actividad. Asigna quien tiene el rol (una tarea "
        "sin asignar), la persona asignada y el jefe de la unidad (cualquiera).",
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = _valid(s.TaskAssignIn, request)
        actor = person_of(request)
        assignee = _assignee(actor, data["assignee"])
        task = services.case_task_assign(task_id=task_id, actor=actor, assignee=assignee, note=data["note"])
        return Response(s.TaskOut(task).data)


class TaskForwardApi(ApiView):
    @extend_schema(
        request=s.TaskForwardIn,
        responses=s.TaskOut,
        summary="Derivar una tarea con proveído",
        description="Como asignar, con el proveído obligatorio: queda en la tarea, en el historial y en el "
        "correo a quien la recibe.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = _valid(s.TaskForwardIn, request)
        actor = person_of(request)
        assignee = _assignee(actor, data["assignee"])
        task = services.case_task_forward(task_id=task_id, actor=actor, assignee=assignee, note=data["note"])
        return Response(s.TaskOut(task).data)


class TaskReleaseApi(ApiView):
    @extend_schema(
        request=s.TaskReleaseIn,
        responses=s.TaskOut,
        summary="Liberar una tarea",
        description="Vuelve a la bandeja de su rol, sin asignar. La libera la persona asignada o el jefe.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = _valid(s.TaskReleaseIn, request)
        task = services.case_task_release(task_id=task_id, actor=person_of(request), note=data["note"])
        return Response(s.TaskOut(task).data)


def _assignee(actor: Person, username: str) -> Person:
    assignee = Person.objects.filter(user__username=username, entity=actor.entity).first()
    if assignee is None:
        raise InvalidInputError({"assignee": ["No existe esa persona en su entidad."]})
    return assignee


class NotificationListApi(ApiView):
    @extend_schema(responses=s.NotificationOut(many=True), summary="Mis notificaciones")
    def get(self, request: Request) -> Response:
        rows = (
            Notification.objects.filter(person=person_of(request))
            .select_related("case")
            .order_by("-created_at")
        )
        return Response(s.NotificationOut(rows[:200], many=True).data)


class NotificationReadApi(ApiView):
    @extend_schema(request=None, responses=s.NotificationOut, summary="Marcar una notificación como leída")
    def post(self, request: Request, notification_id: int) -> Response:
        person = person_of(request)
        notification = services.notification_mark_read(notification_id=notification_id, person=person)
        return Response(s.NotificationOut(notification).data)


def _valid(serializer_class: type, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        raise InvalidInputError({k: _messages(v) for k, v in serializer.errors.items()})
    return serializer.validated_data


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):  # a nested field's errors, by key
        return [f"{k}: {m}" for k, v in errors.items() for m in _messages(v)]
    if isinstance(errors, list):
        return [m for e in errors for m in _messages(e)]
    return [str(errors)]


@csrf_exempt  # it changes nothing, and a POST with a stale cookie must get this 404, not the CSRF page
def not_found(request, *args, **kwargs) -> JsonResponse:
    """A URL under /api/v1/ that no route matches (or an id that is not a number): 404 with the error body."""
    return JsonResponse({"detail": "No existe ese recurso de la API."}, status=404)
