"""
REST API v1: thin handlers that parse input, call one service or selector, and shape the output.

Authentication: token (`Authorization: Token …`) or the web session. Every handler acts as the
authenticated person; permission rules live in the services, which audit refusals.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mapro.cases import services
from mapro.cases.access import cases_readable
from mapro.cases.models import Case, CaseTask, Notification
from mapro.cases.selectors import case_records_visible, tasks_for_person_rows
from mapro.catalogue.models import ProcedureVersion
from mapro.core.errors import InvalidInputError
from mapro.organization.models import Person

from . import serializers as s


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
        .select_related("procedure_version", "requester__user", "parent")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=CaseTask.objects.select_related("case", "assignee__user").order_by("created_at"),
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


class ProcedureListApi(APIView):
    @extend_schema(summary="Procedimientos vigentes de la entidad de la persona")
    def get(self, request: Request) -> Response:
        versions = ProcedureVersion.objects.filter(is_current=True, entity=person_of(request).entity)
        return Response(
            [
                {"code": v.code, "name": v.name, "version": v.version, "revision": v.revision}
                for v in versions.order_by("code")
            ]
        )


class CaseStartApi(APIView):
    @extend_schema(request=s.CaseStartIn, responses={201: s.CaseDetailOut}, summary="Iniciar un expediente")
    def post(self, request: Request) -> Response:
        data = _valid(s.CaseStartIn, request)
        case = services.case_start(
            procedure_code=data["procedure"],
            requester=person_of(request),
            inputs=data["inputs"],
            flow=data["flow"],
        )
        return case_response(request, case, status.HTTP_201_CREATED)


class CaseDetailApi(APIView):
    @extend_schema(responses=s.CaseDetailOut, summary="Expediente con tareas, plazos y registros visibles")
    def get(self, request: Request, number: str) -> Response:
        return case_response(request, case_of(request, number))


class CaseSuspendApi(APIView):
    @extend_schema(request=s.ReasonIn, responses=s.CaseDetailOut, summary="Suspender")
    def post(self, request: Request, number: str) -> Response:
        data = _valid(s.ReasonIn, request)
        case = services.case_suspend(case_id=case_of(request, number).pk, actor=person_of(request), **data)
        return case_response(request, case)


class CaseResumeApi(APIView):
    @extend_schema(request=None, responses=s.CaseDetailOut, summary="Reanudar")
    def post(self, request: Request, number: str) -> Response:
        case = services.case_resume(case_id=case_of(request, number).pk, actor=person_of(request))
        return case_response(request, case)


class CaseCancelApi(APIView):
    @extend_schema(request=s.ReasonIn, responses=s.CaseDetailOut, summary="Anular (con motivo)")
    def post(self, request: Request, number: str) -> Response:
        data = _valid(s.ReasonIn, request)
        case = services.case_cancel(case_id=case_of(request, number).pk, actor=person_of(request), **data)
        return case_response(request, case)


class CaseCommentApi(APIView):
    @extend_schema(request=s.CommentIn, responses={201: None}, summary="Agregar comentario")
    def post(self, request: Request, number: str) -> Response:
        data = _valid(s.CommentIn, request)
        comment = services.case_comment_add(
            case_id=case_of(request, number).pk, actor=person_of(request), **data
        )
        return Response({"id": comment.pk, "text": comment.text}, status=status.HTTP_201_CREATED)


class CaseAttachmentApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={201: None},
        summary="Adjuntar evidencia",
    )
    def post(self, request: Request, number: str) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInputError({"file": ["Adjunte un archivo."]})
        attachment = services.case_attachment_add(
            case_id=case_of(request, number).pk, actor=person_of(request), upload=upload
        )
        return Response(
            {"id": attachment.pk, "filename": attachment.filename, "sha256": attachment.sha256}, 201
        )


class TaskListApi(APIView):
    @extend_schema(responses=s.TaskOut(many=True), summary="Mi bandeja: tareas que puedo atender")
    def get(self, request: Request) -> Response:
        rows = tasks_for_person_rows(person=person_of(request))[:500]
        return Response(s.TaskRowOut(rows, many=True).data)


class TaskCompleteApi(APIView):
    @extend_schema(
        request=s.TaskCompleteIn,
        responses=s.TaskCompletionOut,
        summary="Completar una tarea",
        description="Responde con la tarea, los registros que produjo, el estado del expediente y sus tareas "
        "abiertas; el expediente completo está en GET /api/v1/cases/{number}/.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = _valid(s.TaskCompleteIn, request)
        completion = services.case_task_complete(task_id=task_id, actor=person_of(request), **data)
        return Response(s.TaskCompletionOut(completion).data)


class TaskClaimApi(APIView):
    @extend_schema(request=None, responses=s.TaskOut, summary="Tomar una tarea de mi rol")
    def post(self, request: Request, task_id: int) -> Response:
        task = services.case_task_claim(task_id=task_id, actor=person_of(request))
        return Response(s.TaskOut(task).data)


class TaskAssignApi(APIView):
    @extend_schema(request=s.TaskAssignIn, responses=s.TaskOut, summary="Asignar o reasignar una tarea")
    def post(self, request: Request, task_id: int) -> Response:
        data = _valid(s.TaskAssignIn, request)
        actor = person_of(request)
        assignee = Person.objects.filter(user__username=data["assignee"], entity=actor.entity).first()
        if assignee is None:
            raise InvalidInputError({"assignee": ["No existe esa persona en su entidad."]})
        task = services.case_task_assign(task_id=task_id, actor=actor, assignee=assignee)
        return Response(s.TaskOut(task).data)


class NotificationListApi(APIView):
    @extend_schema(responses=s.NotificationOut(many=True), summary="Mis notificaciones")
    def get(self, request: Request) -> Response:
        rows = (
            Notification.objects.filter(person=person_of(request))
            .select_related("case")
            .order_by("-created_at")
        )
        return Response(s.NotificationOut(rows[:200], many=True).data)


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses=s.NotificationOut, summary="Marcar una notificación como leída")
    def post(self, request: Request, notification_id: int) -> Response:
        person = person_of(request)
        notification = services.notification_mark_read(notification_id=notification_id, person=person)
        return Response(s.NotificationOut(notification).data)


def _valid(serializer_class: type, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        raise InvalidInputError({k: [str(m) for m in v] for k, v in serializer.errors.items()})
    return serializer.validated_data
