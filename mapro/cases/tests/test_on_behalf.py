"""
Registering a case on someone's behalf (issue 13, item 3) and the start-input checks of item 5: an e-mail
input's domain and the open-duplicate flag. docs/decisions/0028-register-on-behalf.md.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from mapro.audit.models import AuditEvent
from mapro.cases import services
from mapro.cases.access import case_may_read
from mapro.cases.models import Case, CaseTask
from mapro.cases.performers import task_performable_by
from mapro.cases.selectors import tasks_for_person
from mapro.catalogue.definition import load_catalogue
from mapro.catalogue.services import procedure_version_load
from mapro.core.errors import InvalidInputError, NotAllowedError
from mapro.mail.models import OutboundEmail
from mapro.mail.services import case_events_scan
from mapro.organization.models import Person

from .conftest import person

pytestmark = pytest.mark.django_db

HELPDESK = ("SENACE", "especialista_mesa_ayuda")
EMPLOYEE = ("SENACE", "servidor")
TICKET = "S.04.04.02_P"
TICKET_INPUTS = {"tipo_solicitud": "Incidente", "solicitud": "La impresora del piso 3 no imprime."}


def baja_with_checks(tmp_path) -> None:
    """PR.OTI.005 with the checks its ficha states: an account @vivienda.gob.pe, one open baja per account."""
    from django.conf import settings

    source = settings.BASE_DIR / "procedures" / "mvcs" / "PR_OTI_005.yaml"
    text = source.read_text(encoding="utf-8")
    block = text[text.index("  - id: cuenta_correo") :]
    block = block[: block.index("\n  - id:", 1)]
    checked = block
    if "domain:" not in checked:
        checked = checked.replace("    type: email\n", "    type: email\n    domain: vivienda.gob.pe\n", 1)
    if "unique_open:" not in checked:
        checked = checked.replace("    type: email\n", "    type: email\n    unique_open: true\n", 1)
    path = tmp_path / "PR_OTI_005.yaml"
    path.write_text(text.replace(block, checked, 1), encoding="utf-8")
    catalogue = load_catalogue([path], known_codes=["PR.OTI.005"])
    assert catalogue.ok, catalogue.errors
    with transaction.atomic():  # as the catalogue loader does (audited in the change's transaction)
        procedure_version_load(loaded=catalogue.definitions["PR.OTI.005"])


def baja_inputs(account: str) -> dict:
    from mapro.catalogue.models import ProcedureVersion

    definition = ProcedureVersion.objects.get(code="PR.OTI.005", is_current=True).definition
    reason = next(i for i in definition["inputs"] if i["id"] == "motivo_baja")
    return {"cuenta_correo": account, "motivo_baja": (reason.get("choices") or ["Cese"])[0]}


def test_an_account_outside_the_domain_and_an_account_in_an_open_baja_are_refused(tmp_path):
    baja_with_checks(tmp_path)
    analyst = person("MVCS", "analista_mesa_servicios")
    before = Case.objects.count()
    with pytest.raises(InvalidInputError) as refused:
        services.case_start(
            procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs("jperez@gmail.com")
        )
    assert refused.value.field_errors["cuenta_correo"] == ["La cuenta debe ser @vivienda.gob.pe."]
    first = services.case_start(
        procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs("JPerez@Vivienda.gob.pe")
    )
    # The same account in other letters: flagged with the open case's number; nothing is written.
    with pytest.raises(InvalidInputError) as flagged:
        services.case_start(
            procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs("jperez@vivienda.gob.pe")
        )
    errors = flagged.value.field_errors
    assert errors["cuenta_correo"] == [f"Ya hay un expediente abierto con este valor: {first.number}."]
    assert "Iniciar de todos modos" in errors["confirm_duplicate"][0]
    assert Case.objects.count() == before + 1
    second = services.case_start(
        procedure_code="PR.OTI.005",
        requester=analyst,
        inputs=baja_inputs("jperez@vivienda.gob.pe"),
        confirm_duplicate=True,
    )
    # Suspended still counts as open; once both are cancelled, the account is free again.
    services.case_suspend(
        case_id=first.pk, actor=person("MVCS", "director_oti"), reason="En espera de RR.HH."
    )
    with pytest.raises(InvalidInputError) as again:
        services.case_start(
            procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs("jperez@vivienda.gob.pe")
        )
    assert f"{first.number} (y 1 más)" in again.value.field_errors["cuenta_correo"][0]
    for case in (first, second):
        services.case_cancel(case_id=case.pk, actor=person("MVCS", "director_oti"), reason="Duplicado")
    services.case_start(
        procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs("jperez@vivienda.gob.pe")
    )


def _complete(case: Case, activity: int, actor: Person, **kwargs) -> None:
    from mapro.catalogue.tests.sample_data import task_complete

    task = case.tasks.get(activity=activity, status=CaseTask.Status.OPEN)
    task_complete(task_id=task.pk, actor=actor, **kwargs)


def _to_conformity(case: Case) -> CaseTask:
    """S.04.04.02_P to activity 6 (¿Es conforme?), the requester's: 1 → 2 (Sí) → 4 (Sí) → 5 → 6."""
    helpdesk = person(*HELPDESK)
    # Activity 1 is the requester's: an employee writes their request; an outside one's, who registered it.
    _complete(case, 1, case.registered_by if case.requester.is_external else case.requester)
    _complete(case, 2, helpdesk, decision="Sí")
    _complete(case, 4, helpdesk, decision="Sí")
    _complete(case, 5, helpdesk)
    return case.tasks.get(activity=6, status=CaseTask.Status.OPEN)


def test_the_mesa_de_ayuda_registers_for_an_employee_whose_conformity_is_theirs_alone():
    helpdesk, employee = person(*HELPDESK), person(*EMPLOYEE)
    case = services.case_start(
        procedure_code=TICKET, requester=helpdesk, inputs=TICKET_INPUTS, on_behalf_of=employee.user.username
    )
    assert (case.requester, case.registered_by) == (employee, helpdesk)
    started = AuditEvent.objects.get(case=case, action="case.started")
    assert started.actor_id == helpdesk.pk
    assert f"registrado por {helpdesk} a nombre de {employee}" in started.summary
    assert case_may_read(person=employee, case=case) and case_may_read(person=helpdesk, case=case)
    conformity = _to_conformity(case)
    assert conformity in tasks_for_person(person=employee)
    assert conformity not in tasks_for_person(person=helpdesk)  # the requester has a login: theirs alone
    with pytest.raises(NotAllowedError):
        services.case_task_complete(task_id=conformity.pk, actor=helpdesk, decision="Sí")


def test_only_who_works_the_procedure_registers_for_others_and_nothing_is_written_on_error():
    employee, helpdesk = person(*EMPLOYEE), person(*HELPDESK)
    cases, people = Case.objects.count(), Person.objects.count()
    with pytest.raises(
        NotAllowedError, match="Especialista de Mesa de ayuda"
    ):  # a Servidor asks for themself
        services.case_start(
            procedure_code=TICKET,
            requester=employee,
            inputs=TICKET_INPUTS,
            on_behalf_of=helpdesk.user.username,
        )
    with pytest.raises(InvalidInputError) as refused:  # every problem at once: requester and inputs
        services.case_start(
            procedure_code=TICKET,
            requester=helpdesk,
            inputs={"tipo_solicitud": "Otro"},
            contact={"name": " ", "email": "no-es-correo", "phone": "abc"},
        )
    assert set(refused.value.field_errors) == {
        "requester_contact.name",
        "requester_contact.email",
        "requester_contact.phone",
        "tipo_solicitud",
        "solicitud",
    }
    other_entity = person("MVCS", "analista_mesa_servicios").user.username
    with pytest.raises(InvalidInputError) as unknown:
        services.case_start(
            procedure_code=TICKET, requester=helpdesk, inputs=TICKET_INPUTS, on_behalf_of=other_entity
        )
    assert "No hay en SENACE una persona" in unknown.value.field_errors["requester"][0]
    assert (Case.objects.count(), Person.objects.count()) == (cases, people)


def test_an_outside_requester_end_to_end():
    helpdesk = person(*HELPDESK)
    contact = {
        "name": "Rosa Quispe (contratista)",
        "email": "Rosa.Quispe@Example.pe",
        "phone": "+51 987 654 321",
    }
    case = services.case_start(
        procedure_code=TICKET, requester=helpdesk, inputs=TICKET_INPUTS, contact=contact
    )
    outside = case.requester
    assert (outside.user, outside.is_external, outside.email, outside.phone) == (
        None,
        True,
        "rosa.quispe@example.pe",
        "+51 987 654 321",
    )
    assert outside.entity == helpdesk.entity and case.registered_by == helpdesk
    # The case page names the outside requester with their contact data, and who registered the case.
    browser = Client()
    browser.force_login(helpdesk.user)
    page = browser.get(f"/expedientes/{case.number}/").content.decode()
    assert "contacto externo" in page and "rosa.quispe@example.pe · +51 987 654 321" in page
    assert f"registrado por {helpdesk}" in page
    # The same e-mail again (other letters): the same outside person, not a second one.
    again = services.case_start(
        procedure_code=TICKET,
        requester=helpdesk,
        inputs=TICKET_INPUTS,
        contact={**contact, "email": "rosa.quispe@example.pe", "phone": ""},
    )
    assert again.requester == outside and Person.objects.filter(email__iexact=contact["email"]).count() == 1
    # Registered twice by mistake: who registered it withdraws the copy, as a requester could.
    services.case_cancel(case_id=again.pk, actor=helpdesk, reason="Registrado dos veces por error")
    again.refresh_from_db()
    assert again.status == Case.Status.CANCELLED
    conformity = _to_conformity(case)
    # Nobody signs in as Rosa: who registered the case does her task, or another of who may register it.
    assert conformity in tasks_for_person(person=helpdesk)
    assert conformity not in tasks_for_person(person=person(*EMPLOYEE))
    assert task_performable_by(
        task=conformity, person=person("SENACE", "especialista_oti"), roles={"especialista_oti"}
    )
    assert not task_performable_by(task=conformity, person=person(*EMPLOYEE), roles={"servidor"})
    case_events_scan()

    def subjects_to(address: str) -> list[str]:
        return [m.subject for m in OutboundEmail.objects.filter(case=case) if address in m.to]

    # Her conformity is asked by mail, and who answers for her is told too.
    assert any("6. Verifica conformidad" in subject for subject in subjects_to("rosa.quispe@example.pe"))
    assert any("6. Verifica conformidad" in subject for subject in subjects_to(helpdesk.email))
    _complete(case, 6, helpdesk, decision="Sí")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    done = AuditEvent.objects.get(case=case, action="task.completed", object_id=str(conformity.pk))
    assert f"por {helpdesk} a nombre de {outside}" in done.summary
    assert any("Expediente concluido" in subject for subject in subjects_to("rosa.quispe@example.pe"))


def _api(role: tuple[str, str]):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=person(*role).user)
    return client


def test_the_api_registers_on_behalf_and_refuses_with_field_errors_writing_nothing(tmp_path):
    helpdesk = person(*HELPDESK)
    client = _api(HELPDESK)
    counts = lambda: (Case.objects.count(), Person.objects.count(), AuditEvent.objects.count())  # noqa: E731
    before = counts()
    refusals = [
        ({"requester_contact": {"name": "", "email": "rosa"}}, {"requester_contact"}),
        (
            {"requester_contact": {"name": "Rosa", "email": "rosa@example.pe", "dni": "1"}},
            {"requester_contact"},
        ),
        ({"requester": "nadie.aqui"}, {"requester"}),
        (
            {"requester": helpdesk.user.username, "requester_contact": {"name": "R", "email": "r@x.pe"}},
            {"requester"},
        ),
        (
            {
                "requester_contact": {"name": "Rosa", "email": "sin-arroba"},
                "inputs": {"tipo_solicitud": "Otro"},
            },
            {"requester_contact.email", "tipo_solicitud", "solicitud"},
        ),
    ]
    for extra, fields in refusals:
        body = {"procedure": TICKET, "inputs": TICKET_INPUTS, **extra}
        answer = client.post("/api/v1/cases/", body, format="json")
        assert answer.status_code == 400, (extra, answer.json())
        assert fields <= set(answer.json()["field_errors"]), (extra, answer.json())
    # A Servidor may not file in a colleague's name: 403, audited, no case.
    employee = _api(EMPLOYEE)
    body = {"procedure": TICKET, "inputs": TICKET_INPUTS, "requester": helpdesk.user.username}
    assert employee.post("/api/v1/cases/", body, format="json").status_code == 403
    assert counts()[:2] == before[:2] and counts()[2] == before[2] + 1  # the refusal's audit event only
    contact = {"name": "Rosa Quispe", "email": "rosa.quispe@example.pe", "phone": "987654321"}
    answer = client.post(
        "/api/v1/cases/",
        {"procedure": TICKET, "inputs": TICKET_INPUTS, "requester_contact": contact},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    started = answer.json()
    assert (started["requester"], started["requester_name"], started["registered_by"]) == (
        None,
        "Rosa Quispe",
        helpdesk.user.username,
    )
    employee_name = person(*EMPLOYEE).user.username
    answer = client.post(
        "/api/v1/cases/",
        {"procedure": TICKET, "inputs": TICKET_INPUTS, "requester": employee_name},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["requester"] == employee_name
    # The open-duplicate flag: 400 naming the open case, nothing written; confirmed, it starts.
    baja_with_checks(tmp_path)
    analyst = _api(("MVCS", "analista_mesa_servicios"))
    body = {"procedure": "PR.OTI.005", "inputs": baja_inputs("ana.rojas@vivienda.gob.pe")}
    first = analyst.post("/api/v1/cases/", body, format="json").json()["number"]
    cases = Case.objects.count()
    flagged = analyst.post("/api/v1/cases/", body, format="json")
    assert flagged.status_code == 400
    assert first in flagged.json()["field_errors"]["cuenta_correo"][0]
    assert "confirm_duplicate" in flagged.json()["field_errors"] and Case.objects.count() == cases
    assert (
        analyst.post("/api/v1/cases/", {**body, "confirm_duplicate": True}, format="json").status_code == 201
    )
    wrong = {**body, "inputs": baja_inputs("ana.rojas@gmail.com")}
    refused = analyst.post("/api/v1/cases/", wrong, format="json").json()["field_errors"]
    assert refused["cuenta_correo"] == ["La cuenta debe ser @vivienda.gob.pe."]


def test_the_start_form_offers_the_requester_to_who_may_register_and_asks_to_confirm_a_duplicate(
    client, tmp_path
):
    from django.urls import reverse

    from mapro.catalogue.models import ProcedureVersion

    ticket = ProcedureVersion.objects.get(code=TICKET, is_current=True)
    url = reverse("web:start-form", args=[ticket.pk])
    client.force_login(person(*EMPLOYEE).user)
    assert "data-requester" not in client.get(url).content.decode()  # a Servidor asks for themself
    helpdesk, employee = person(*HELPDESK), person(*EMPLOYEE)
    client.force_login(helpdesk.user)
    page = client.get(url).content.decode()
    assert "Otra persona de la entidad" in page and "Contacto externo" in page
    assert f"{employee.full_name} ({employee.user.username})" in page  # offered by the picker
    form = {"in__tipo_solicitud": "Incidente", "in__solicitud": "Sin red en el piso 2."}
    refused = client.post(
        url, {**form, "solicitante": "externo", "contacto_nombre": "Rosa", "contacto_correo": "x"}
    )
    assert refused.status_code == 400
    assert "Indique un correo electrónico válido" in refused.content.decode()
    answer = client.post(
        url,
        {
            **form,
            "solicitante": "persona",
            "solicitante_persona": f"{employee.full_name} ({employee.user.username})",
        },
    )
    assert answer.status_code == 302
    case = Case.objects.get(registered_by=helpdesk, requester=employee)
    # The employee signs in and finds it: the case page, and activity 1 in their inbox.
    client.force_login(employee.user)
    assert case.number in client.get(reverse("web:case", args=[case.number])).content.decode()
    assert case.number in client.get(reverse("web:inbox")).content.decode()
    # The open-duplicate flag: the warning names the open case and offers "Iniciar de todos modos".
    baja_with_checks(tmp_path)
    baja = ProcedureVersion.objects.get(code="PR.OTI.005", is_current=True)
    client.force_login(person("MVCS", "analista_mesa_servicios").user)
    baja_url = reverse("web:start-form", args=[baja.pk])
    values = {f"in__{k}": v for k, v in baja_inputs("luis.diaz@vivienda.gob.pe").items()}
    assert client.post(baja_url, values).status_code == 302
    first = Case.objects.filter(procedure_version=baja).latest("started_at")
    flagged = client.post(baja_url, values)
    page = flagged.content.decode()
    assert flagged.status_code == 400 and first.number in page and "Iniciar de todos modos" in page
    assert client.post(baja_url, {**values, "confirm_duplicate": "sí"}).status_code == 302
    assert Case.objects.filter(procedure_version=baja).count() == 2
