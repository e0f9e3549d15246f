"""Fast checks of the web views with Django's test client (no browser)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mapro.cases import services
from mapro.cases.models import Case, CaseTask
from mapro.catalogue.models import ProcedureVersion
from mapro.catalogue.tests.sample_data import task_complete
from mapro.organization.services import DEMO_PASSWORD

from .conftest import person

ANALYST, MANAGER, OFFICER = "analista_mesa_servicios", "responsable_plataforma_correo", "oficial_seguridad"
INPUTS = {"cuenta_correo": "x@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}


def _version(code: str) -> ProcedureVersion:
    return ProcedureVersion.objects.get(code=code, is_current=True)


@pytest.mark.django_db
def test_pages_need_a_signed_in_person(client):
    response = client.get(reverse("web:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_admin_user_without_a_person_is_told_why(client, mvcs, django_user_model):
    client.force_login(django_user_model.objects.get(username="admin"))
    response = client.get(reverse("web:inbox"))
    assert response.status_code == 403
    assert "no está vinculado a una persona" in response.content.decode()


def test_sign_in_and_lockout_after_repeated_failures(client, mvcs):
    response = client.post(
        reverse("web:login"), {"username": "mvcs.analista_mesa_servicios", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    client.logout()
    for _ in range(5):
        response = client.post(reverse("web:login"), {"username": "mvcs.oficial_seguridad", "password": "x"})
    assert response.status_code == 429
    assert "Acceso bloqueado temporalmente" in response.content.decode()
    # Even the right password is refused while the lockout lasts.
    response = client.post(
        reverse("web:login"), {"username": "mvcs.oficial_seguridad", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 429


def test_start_form_shows_the_services_spanish_messages(login_client):
    client = login_client(ANALYST)
    url = reverse("web:start-form", args=[_version("PR.OTI.005").pk])
    response = client.post(url, {"in__cuenta_correo": "no-es-correo"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Debe ser una dirección de correo electrónico válida." in body
    assert "Entrada obligatoria: Entrada que origina la baja." in body
    assert not Case.objects.exists()


def test_start_goes_to_the_requesters_own_first_task(login_client):
    client = login_client(ANALYST)
    url = reverse("web:start-form", args=[_version("PR.OTI.005").pk])
    response = client.post(
        url, {"in__cuenta_correo": INPUTS["cuenta_correo"], "in__motivo_baja": INPUTS["motivo_baja"]}
    )
    task = CaseTask.objects.get(activity=1)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:task", args=[task.pk])


def test_a_person_without_the_role_cannot_complete_the_task(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    task = case.tasks.get(activity=1)
    client = login_client(OFFICER)
    response = client.post(reverse("web:task", args=[task.pk]), {})
    assert response.status_code == 403
    assert "Solo Analista de Mesa de Servicios (o quien haga sus veces)" in response.content.decode()
    task.refresh_from_db()
    assert task.status == CaseTask.Status.OPEN


def test_decision_buttons_carry_the_branch_labels(login_client):
    case = services.case_start(
        procedure_code="PR.OTI.006",
        requester=person(MANAGER),
        inputs={"identificador_requerimiento": "AIP-1"},
    )
    task_complete(task_id=case.tasks.get(activity=1).pk, actor=person(MANAGER))
    task = case.tasks.get(activity=2)
    client = login_client(MANAGER)
    body = client.get(reverse("web:task", args=[task.pk])).content.decode()
    assert 'name="decision" value="SI"' in body
    assert 'name="decision" value="NO"' in body
    response = client.post(reverse("web:task", args=[task.pk]), {"decision": "NO"})
    assert response.status_code == 302
    assert list(case.tasks.filter(status="open").values_list("activity", flat=True)) == [11]


def test_inbox_filters_answer_htmx_with_the_list_only(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    client = login_client(ANALYST)
    response = client.get(reverse("web:inbox"), {"procedimiento": "PR.OTI.005"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert case.number in body
    response = client.get(reverse("web:inbox"), {"procedimiento": "PR.OTI.006"}, HTTP_HX_REQUEST="true")
    assert "No hay actividades con esos filtros." in response.content.decode()


def test_comment_with_htmx_returns_the_comments(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    client = login_client(OFFICER)
    url = reverse("web:case-comment", args=[case.number])
    response = client.post(url, {"text": "Revisado"}, HTTP_HX_REQUEST="true")
    assert "Revisado" in response.content.decode()
    response = client.post(url, {"text": "  "}, HTTP_HX_REQUEST="true")
    assert "El comentario está vacío." in response.content.decode()


def test_case_of_another_entity_is_not_found(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    client = login_client(ANALYST)
    assert client.get(reverse("web:case", args=[case.number])).status_code == 200
    assert client.get(reverse("web:case", args=["SENACE-2026-000001"])).status_code == 404


def test_catalogue_downloads_the_bpmn_of_the_version(login_client):
    client = login_client(OFFICER)
    version = _version("PR.OTI.005")
    response = client.get(reverse("web:procedure-download", args=[version.pk, "bpmn"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="PR_OTI_005.bpmn"'
    assert response.content.decode() == version.bpmn_xml
    assert client.get(reverse("web:procedure-download", args=[version.pk, "xls"])).status_code == 404


def test_admin_shows_procedure_versions_read_only(client, mvcs, django_user_model):
    client.force_login(django_user_model.objects.get(username="admin"))
    version = _version("PR.OTI.005")
    response = client.get(reverse("admin:catalogue_procedureversion_change", args=[version.pk]))
    assert response.status_code == 200
    assert "PR.OTI.005" in response.content.decode()
    assert "Guardar" not in response.content.decode()
    for name in ("organization_person", "organization_delegation", "deadlines_nonworkingday"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_task_form_keeps_evidence_and_record_data(login_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    task = case.tasks.get(activity=1)
    client = login_client(ANALYST)
    evidence = SimpleUploadedFile("correo.eml", b"From: mesa@vivienda.gob.pe", content_type="message/rfc822")
    response = client.post(
        reverse("web:task", args=[task.pk]),
        {
            "rec__correo_baja__fecha_envio": "2026-07-24",
            "effective_date": "2026-01-05",
            "evidencias": evidence,
        },
    )
    assert response.status_code == 302
    record = case.records.get(record_id="correo_baja")
    assert record.data == {"fecha_envio": "2026-07-24"}
    assert str(record.effective_date) == "2026-01-05"
    assert list(case.attachments.values_list("filename", flat=True)) == ["correo.eml"]


def test_suspend_resume_and_cancel_from_the_case_page(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    client = login_client(ANALYST)
    client.post(reverse("web:case-suspend", args=[case.number]), {"reason": "Falta el memorando"})
    case.refresh_from_db()
    assert case.status == Case.Status.SUSPENDED
    body = client.get(reverse("web:case", args=[case.number])).content.decode()
    assert "Suspendido: Falta el memorando" in body
    client.post(reverse("web:case-resume", args=[case.number]))
    response = client.post(reverse("web:case-cancel", args=[case.number]), {"reason": ""}, follow=True)
    assert "Indique el motivo de la anulación." in response.content.decode()
    client.post(reverse("web:case-cancel", args=[case.number]), {"reason": "Duplicado"})
    case.refresh_from_db()
    assert case.status == Case.Status.CANCELLED


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("docx", b"PK"), ("svg", b"<svg")])
def test_catalogue_downloads_the_ficha_documents(login_client, fmt, magic):
    client = login_client(OFFICER)
    response = client.get(reverse("web:procedure-download", args=[_version("PR.OTI.006").pk, fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="PR_OTI_006.{fmt}"'
    assert magic in response.content[:200]


def test_sign_out_says_so(login_client):
    client = login_client(ANALYST)
    response = client.post(reverse("web:logout"), follow=True)
    assert "Cerró su sesión." in response.content.decode()


def test_claim_a_task_of_my_role_from_the_inbox(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    task = case.tasks.get(activity=1)
    client = login_client(ANALYST)
    inbox = reverse("web:inbox") + "?asignacion=sin_asignar"
    response = client.post(reverse("web:task-claim", args=[task.pk]), {"next": inbox})
    assert response["Location"] == inbox
    task.refresh_from_db()
    assert task.assignee == person(ANALYST)
    body = client.get(reverse("web:inbox")).content.decode()
    assert "Asignada a usted" in body
    # An outside address in `next` is ignored.
    response = client.post(reverse("web:task-claim", args=[task.pk]), {"next": "https://example.org/"})
    assert response["Location"] == reverse("web:inbox")


def test_a_procedure_with_several_flows_asks_which_one(client, db):
    from mapro.catalogue.definition import Catalogue
    from mapro.catalogue.selectors import catalogue_from_repository
    from mapro.catalogue.services import procedure_versions_load
    from mapro.organization.services import demo_people_create

    code = "MINCETUR-DIR-002-2023-7.1.1"
    procedure_versions_load(
        catalogue=Catalogue(definitions={code: catalogue_from_repository().definitions[code]})
    )
    demo_people_create()
    requester = person("responsable_infraestructura", "MINCETUR")
    client.force_login(requester.user)
    url = reverse("web:start-form", args=[_version(code).pk])
    body = client.get(url).content.decode()
    assert "Verificación diaria del respaldo" in body
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Indique el flujo que sigue el expediente" in response.content.decode()
    client.post(url, {"flow": "verificacion_diaria"})
    case = Case.objects.get()
    assert list(case.tasks.filter(status="open").values_list("activity", flat=True)) == [4]


def test_start_with_a_document_attaches_it(login_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login_client(MANAGER)
    url = reverse("web:start-form", args=[_version("PR.OTI.006").pk])
    upload = SimpleUploadedFile(
        "requerimiento.pdf", b"%PDF-1.4 requerimiento", content_type="application/pdf"
    )
    response = client.post(url, {"in__identificador_requerimiento": "AIP-7", "in__requerimiento_aip": upload})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.inputs["requerimiento_aip"] == "requerimiento.pdf"
    assert list(case.attachments.values_list("filename", flat=True)) == ["requerimiento.pdf"]


def test_called_procedure_shows_as_a_child_case(client, mvcs):
    # S.04.02.05_P 8 sends the request (its Anexo 01): the coordinator completes it, then S.04.02.02_P starts.
    from mapro.cases.selectors import case_definition
    from mapro.catalogue.definition import Catalogue
    from mapro.catalogue.selectors import catalogue_from_repository
    from mapro.catalogue.services import procedure_versions_load
    from mapro.organization.services import demo_people_create

    chain = ("S.04.02.05_P", "S.04.02.02_P", "S.04.02.03_P")
    definitions = catalogue_from_repository().definitions
    procedure_versions_load(catalogue=Catalogue(definitions={code: definitions[code] for code in chain}))
    demo_people_create()
    parent = services.case_start(
        procedure_code="S.04.02.05_P",
        requester=person("especialista_uuoo", "SENACE"),
        inputs={"requerimiento_mantenimiento": "Agregar un filtro al reporte"},
    )
    route = ((1, None), (2, None), (3, None), (4, None), (5, None), (6, "Conforme"), (7, "Sí"))
    for activity, decision in route:
        task = parent.tasks.get(activity=activity, status="open")
        role = case_definition(case=parent).activity(activity).role
        task_complete(task_id=task.pk, actor=person(role, "SENACE"), decision=decision)
    call_task = parent.tasks.get(activity=8, status="open")
    coordinator = person("coordinador_proyectos", "SENACE")
    client.force_login(coordinator.user)
    body = client.get(reverse("web:task", args=[call_task.pk])).content.decode()
    assert "Completar actividad" in body and "se completa sola" not in body  # the request is a person's task
    task_complete(task_id=call_task.pk, actor=coordinator)
    child = Case.objects.get(parent=parent)
    body = client.get(reverse("web:case", args=[parent.number])).content.decode()
    assert "Expedientes derivados" in body and child.number in body
    body = client.get(reverse("web:case", args=[child.number])).content.decode()
    assert "Expediente padre" in body and parent.number in body


def test_an_unexpected_domain_refusal_is_shown_in_spanish(rf, mvcs):
    from mapro.core.errors import ConflictError
    from web.views.common import person_required

    @person_required
    def view(request):
        raise ConflictError("La tarea ya fue completada; actualice la bandeja.")

    request = rf.get("/")
    request.user = person(ANALYST).user
    request.htmx = False
    response = view(request)
    assert response.status_code == 409
    assert "La tarea ya fue completada; actualice la bandeja." in response.content.decode()
    request.htmx = True
    response = view(request)
    assert response.content.decode().strip().startswith('<div class="msg msg-error"')


@pytest.mark.django_db
def test_every_procedure_has_a_ficha_page_and_a_start_form(client):
    """The whole catalogue: fichas and start forms render for every shape of definition."""
    from mapro.catalogue.services import procedure_versions_load
    from mapro.organization.models import Person
    from mapro.organization.services import demo_people_create

    procedure_versions_load()
    demo_people_create()
    versions = list(ProcedureVersion.objects.filter(is_current=True).select_related("entity"))
    assert len(versions) > 30
    for version in versions:
        someone = Person.objects.filter(entity=version.entity).select_related("user").first()
        client.force_login(someone.user)
        ficha = client.get(reverse("web:procedure", args=[version.pk]))
        assert ficha.status_code == 200, version.code
        assert version.code in ficha.content.decode()
        start = client.get(reverse("web:start-form", args=[version.pk]))
        assert start.status_code == 200, version.code
        assert "Iniciar expediente" in start.content.decode()


def test_a_future_effective_date_is_refused_before_anything_is_written(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    task = case.tasks.get(activity=1)
    client = login_client(ANALYST)
    response = client.post(reverse("web:task", args=[task.pk]), {"effective_date": "2999-01-01"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "La fecha efectiva no puede ser posterior a hoy." in body
    assert "Revise los campos marcados." in body
    task.refresh_from_db()
    assert task.status == CaseTask.Status.OPEN


def test_find_a_case_by_number_or_start_data(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    client = login_client(OFFICER)
    body = client.get(reverse("web:cases"), {"q": "x@vivienda"}).content.decode()
    assert case.number in body
    body = client.get(reverse("web:cases"), {"q": case.number[-6:]}).content.decode()
    assert case.number in body
    body = client.get(reverse("web:cases"), {"q": "no-existe"}).content.decode()
    assert "No hay expedientes con «no-existe»" in body


@pytest.mark.django_db
def test_parallel_starts_and_branches_are_named_on_the_pages(client):
    """S.04.03.02_P's third flow opens 301, 302 and 303 at once; S.04.02.03_P's "Sí" of 2 opens 4 and 10."""
    from mapro.catalogue.definition import Catalogue
    from mapro.catalogue.selectors import catalogue_from_repository
    from mapro.catalogue.services import procedure_versions_load
    from mapro.catalogue.tests.sample_data import record_data, start_inputs
    from mapro.organization.services import demo_people_create

    codes = ("S.04.03.02_P", "S.04.02.03_P")
    definitions = catalogue_from_repository().definitions
    procedure_versions_load(catalogue=Catalogue(definitions={c: definitions[c] for c in codes}))
    demo_people_create()
    client.force_login(person("especialista_is", "SENACE").user)
    body = client.get(reverse("web:start-form", args=[_version("S.04.03.02_P").pk])).content.decode()
    assert "empieza a la vez en 301." in body and "; 302." in body and "; 303." in body

    d = definitions["S.04.02.03_P"].definition
    requester = person("especialista_cc", "SENACE")
    case = services.case_start(procedure_code="S.04.02.03_P", requester=requester, inputs=start_inputs(d))
    first = case.tasks.get(activity=1)
    services.case_task_complete(task_id=first.pk, actor=requester, data=record_data(d, 1))
    task = case.tasks.get(activity=2)
    client.force_login(person("coordinador_is", "SENACE").user)
    body = client.get(reverse("web:task", args=[task.pk])).content.decode()
    assert "Pasan a la vez (en paralelo) a 4. Revisa scripts de BD de software a instalar; 10. Revisa" in body


def test_catalogue_offers_the_ficha_with_its_modelling_notes_only_on_request(login_client):
    import io

    from docx import Document

    client = login_client(OFFICER)
    version = _version("PR.OTI.005")
    page = client.get(reverse("web:procedure", args=[version.pk])).content.decode()
    url = reverse("web:procedure-download", args=[version.pk, "docx"])
    assert f'href="{url}?notas=1"' in page

    def paragraphs(query: str) -> str:
        data = client.get(url + query).content
        return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)

    assert "Notas de modelado" not in paragraphs("")
    assert "Anexo: Notas de modelado" in paragraphs("?notas=1")
