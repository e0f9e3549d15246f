from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import case_list, reports, views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("procedures/", views.ProcedureListApi.as_view(), name="api-procedures"),
    path("procedures/<str:code>/", views.ProcedureDetailApi.as_view(), name="api-procedure"),
    path("cases/", case_list.CaseListApi.as_view(), name="api-case-start"),
    path("cases/<str:number>/", views.CaseDetailApi.as_view(), name="api-case"),
    path("cases/<str:number>/suspend/", views.CaseSuspendApi.as_view(), name="api-case-suspend"),
    path("cases/<str:number>/resume/", views.CaseResumeApi.as_view(), name="api-case-resume"),
    path("cases/<str:number>/cancel/", views.CaseCancelApi.as_view(), name="api-case-cancel"),
    path("cases/<str:number>/comments/", views.CaseCommentApi.as_view(), name="api-case-comments"),
    path("cases/<str:number>/attachments/", views.CaseAttachmentApi.as_view(), name="api-case-attachments"),
    path(
        "cases/<str:number>/notifications/",
        views.CaseNotificationListApi.as_view(),
        name="api-case-notifications",
    ),
    path(
        "cases/<str:number>/attachments/<int:attachment_id>/",
        views.AttachmentDownloadApi.as_view(),
        name="api-case-attachment",
    ),
    re_path(
        r"^cases/(?P<number>[^/]+)/actas/(?P<document>[a-z][a-z0-9_]*)\.(?P<fmt>pdf|docx)$",
        views.CaseActaApi.as_view(),
        name="api-case-acta",
    ),
    re_path(
        r"^reports/supervision/?$", reports.SupervisionReportApi.as_view(), name="api-supervision-report"
    ),
    re_path(r"^reports/indicators/?$", reports.IndicatorsReportApi.as_view(), name="api-indicators-report"),
    path("tasks/", views.TaskListApi.as_view(), name="api-tasks"),
    path("tasks/<int:task_id>/complete/", views.TaskCompleteApi.as_view(), name="api-task-complete"),
    path("tasks/<int:task_id>/claim/", views.TaskClaimApi.as_view(), name="api-task-claim"),
    path("tasks/<int:task_id>/assign/", views.TaskAssignApi.as_view(), name="api-task-assign"),
    path("tasks/<int:task_id>/forward/", views.TaskForwardApi.as_view(), name="api-task-forward"),
    path("tasks/<int:task_id>/release/", views.TaskReleaseApi.as_view(), name="api-task-release"),
    path("notifications/", views.NotificationListApi.as_view(), name="api-notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        views.NotificationReadApi.as_view(),
        name="api-notification-read",
    ),
    # Last: whatever else is under /api/v1/ (e.g. /tasks/abc/complete/) answers JSON, not an HTML page.
    re_path(r"", views.not_found, name="api-not-found"),
]
