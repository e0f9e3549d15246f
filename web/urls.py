from django.urls import path, re_path

from .views import auth, case_list, cases, catalogue, dashboard, inbox, reports, start, tasks

app_name = "web"

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("ingresar/", auth.MaproLoginView.as_view(), name="login"),
    path("salir/", auth.MaproLogoutView.as_view(), name="logout"),
    path("iniciar/", start.procedure_list, name="start"),
    path("iniciar/<int:version_id>/", start.case_start_form, name="start-form"),
    path("expedientes/", case_list.case_list, name="cases"),
    re_path(r"^expedientes/exportar\.(?P<fmt>csv|xlsx)$", case_list.case_list_export, name="cases-export"),
    path("mis-solicitudes/", case_list.my_requests, name="my-requests"),
    path("expedientes/<str:number>/", cases.case_detail, name="case"),
    path("expedientes/<str:number>/diagrama.bpmn", cases.case_bpmn, name="case-bpmn"),
    path("expedientes/<str:number>/comentarios/", cases.case_comment, name="case-comment"),
    path("expedientes/<str:number>/adjuntos/", cases.case_attachment, name="case-attachment"),
    path(
        "expedientes/<str:number>/adjuntos/<int:attachment_id>/", cases.attachment_download, name="attachment"
    ),
    re_path(
        r"^expedientes/(?P<number>[^/]+)/actas/(?P<document>[a-z][a-z0-9_]*)\.(?P<fmt>pdf|docx)$",
        cases.case_acta,
        name="case-acta",
    ),
    path("expedientes/<str:number>/suspender/", cases.case_suspend, name="case-suspend"),
    path("expedientes/<str:number>/reanudar/", cases.case_resume, name="case-resume"),
    path("expedientes/<str:number>/anular/", cases.case_cancel, name="case-cancel"),
    path("tareas/<int:task_id>/", tasks.task_page, name="task"),
    path("tareas/<int:task_id>/tomar/", tasks.task_claim, name="task-claim"),
    path("tareas/<int:task_id>/asignar/", tasks.task_route, name="task-route"),
    path("tareas/<int:task_id>/liberar/", tasks.task_release, name="task-release"),
    path("catalogo/", catalogue.catalogue_index, name="catalogue"),
    path("catalogo/<int:version_id>/", catalogue.procedure_detail, name="procedure"),
    path("catalogo/<int:version_id>/diagrama.bpmn", catalogue.procedure_bpmn, name="procedure-bpmn"),
    path(
        "catalogo/<int:version_id>/descargar/<str:fmt>/",
        catalogue.procedure_download,
        name="procedure-download",
    ),
    path("tablero/", dashboard.dashboard, name="dashboard"),
    path("informes/supervision/", reports.supervision_page, name="supervision"),
    path("informes/supervision/descargar/", reports.supervision_download, name="supervision-download"),
    path(
        "tablero/indicadores/<str:code>/<slug:indicator_id>/<slug:key>/",
        dashboard.indicator_cases_page,
        name="indicator-cases",
    ),
    path("tablero/plazos/<slug:by>/<str:key>/", dashboard.deadline_cases_page, name="deadline-cases"),
    re_path(
        r"^tablero/(?P<what>indicadores|plazos-procedimiento|plazos-rol)\.(?P<fmt>csv|xlsx)$",
        dashboard.indicators_export,
        name="indicators-export",
    ),
]
