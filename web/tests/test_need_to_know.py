"""
Need-to-know on the web pages (docs/permissions.md), with PR.OTI.005 as the issue found it: the .PST backup
uploaded with activity 3 is for the mail-platform manager only, the mailbox's owner reads nothing, the case's
requester may withdraw it only until someone else has worked on it.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mapro.cases import services
from mapro.cases.models import Attachment, Case
from mapro.catalogue.tests.sample_data import baja_inputs, task_complete
from mapro.organization.models import Delegation, Person, Role

from .conftest import person

ANALYST, MANAGER, OFFICER = "analista_mesa_servicios", "responsable_plataforma_correo", "oficial_seguridad"
DIRECTOR, MAIL_USER = "director_oti", "usuario_correo"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def no_role(mvcs, django_user_model) -> Person:
    user = django_user_model.objects.create_user("mvcs.sin_rol", password="x")
    return Person.objects.create(user=user, entity=person(ANALYST).entity, full_name="Sin rol")


def case_at_backup() -> Case:
    """A PR.OTI.005 case whose activity 3 (the backup) is open."""
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=baja_inputs())
    task_complete(task_id=case.tasks.get(activity=1).pk, actor=person(ANALYST))
    task_complete(task_id=case.tasks.get(activity=2).pk, actor=person(MANAGER))
    return case


def test_the_pst_uploaded_with_activity_3_is_only_for_the_mail_platform_manager(
    client, login_client, media, no_role
):
    case = case_at_backup()
    task = case.tasks.get(activity=3)
    manager = login_client(MANAGER)
    pst = SimpleUploadedFile(
        "jperez-backup.pst", b"buzon de jperez", content_type="application/vnd.ms-outlook"
    )
    # The record's own file field: the .PST uploaded with the step, beside where and when it was made.
    response = manager.post(
        reverse("web:task", args=[task.pk]),
        {
            "rec__respaldo_pst__archivo": pst,
            "rec__respaldo_pst__fecha_respaldo": "2026-07-24",
            "rec__respaldo_pst__ubicacion_pst": "BACKUP_CORREOS/jperez.pst",
            "rec__respaldo_pst__fecha_carga": "2026-07-24",
        },
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert (attachment.task_id, attachment.record.record_id) == (task.pk, "respaldo_pst")
    assert attachment.restricted_to == [MANAGER]
    url = reverse("web:attachment", args=[case.number, attachment.pk])
    assert manager.get(url).status_code == 200

    for role in (MAIL_USER, OFFICER, DIRECTOR, ANALYST):
        client.force_login(person(role).user)
        assert client.get(url).status_code == 404, role
    client.force_login(no_role.user)
    assert client.get(url).status_code == 404

    # The Oficial de Seguridad (RACI "I") reads the case, without the file, its name or the record.
    client.force_login(person(OFFICER).user)
    page = client.get(reverse("web:case", args=[case.number]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "jperez-backup.pst" not in body
    assert "1 adjunto reservado a otros roles" in body
    assert "1 registro reservado a otros roles" in body
    # The owner of the mailbox (a role the ficha names, with no part in the case) does not even see it.
    client.force_login(person(MAIL_USER).user)
    assert client.get(reverse("web:case", args=[case.number])).status_code == 404


def test_a_reserved_upload_on_the_case_page_is_for_the_uploaders_role(client, mvcs, media):
    case = case_at_backup()
    manager = Client()
    manager.force_login(person(MANAGER).user)
    url = reverse("web:case-attachment", args=[case.number])
    manager.post(url, {"file": SimpleUploadedFile("acta.pdf", b"acta"), "reservado": "1"})
    manager.post(url, {"file": SimpleUploadedFile("nota.pdf", b"nota")})
    reserved, plain = Attachment.objects.filter(case=case).order_by("pk")
    assert (reserved.restricted_to, plain.restricted_to) == ([MANAGER], [])
    client.force_login(person(ANALYST).user)  # the requester: reads the case, not the reserved file
    assert client.get(reverse("web:attachment", args=[case.number, reserved.pk])).status_code == 404
    assert client.get(reverse("web:attachment", args=[case.number, plain.pk])).status_code == 200
    page = client.get(reverse("web:case", args=[case.number])).content.decode()
    assert "Reservado a mi rol" in page and "acta.pdf" not in page and "nota.pdf" in page


def test_the_mailbox_owner_cannot_cancel_the_deletion_of_their_account(client, mvcs):
    case = case_at_backup()
    client.force_login(person(MAIL_USER).user)
    response = client.post(reverse("web:case-cancel", args=[case.number]), {"reason": "No quiero"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_the_requester_withdraws_only_until_someone_else_worked_on_the_case(client, mvcs):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=baja_inputs())
    task_complete(task_id=case.tasks.get(activity=1).pk, actor=person(ANALYST))
    client.force_login(person(ANALYST).user)
    page = client.get(reverse("web:case", args=[case.number])).content.decode()
    assert "Anular expediente" in page  # only their own activity 1 is done
    task_complete(task_id=case.tasks.get(activity=2).pk, actor=person(MANAGER))
    page = client.get(reverse("web:case", args=[case.number])).content.decode()
    assert "Anular expediente" not in page
    client.post(reverse("web:case-cancel", args=[case.number]), {"reason": "Error"})
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    # The mail-platform manager does the work but does not own the outcome; the director does.
    client.force_login(person(MANAGER).user)
    client.post(reverse("web:case-suspend", args=[case.number]), {"reason": "Pausa"})
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    client.force_login(person(DIRECTOR).user)
    client.post(reverse("web:case-suspend", args=[case.number]), {"reason": "Pausa"})
    case.refresh_from_db()
    assert case.status == Case.Status.SUSPENDED


def test_whoever_stands_in_for_the_director_manages_the_case(client, no_role):
    case = case_at_backup()
    director = Role.objects.get(entity=no_role.entity, code=DIRECTOR)
    today = timezone.localdate()
    Delegation.objects.create(role=director, delegate=no_role, starts_on=today, ends_on=today)
    client.force_login(no_role.user)
    client.post(reverse("web:case-cancel", args=[case.number]), {"reason": "Duplicado"})
    case.refresh_from_db()
    assert case.status == Case.Status.CANCELLED


def test_case_list_and_dashboard_show_only_readable_cases_in_one_query(client, mvcs, no_role):
    first = case_at_backup()
    client.force_login(person(OFFICER).user)
    client.get(reverse("web:cases"))  # the first request of a session also loads per-process caches
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("web:cases"))
    case_at_backup()
    case_at_backup()
    with CaptureQueriesContext(connection) as three:
        body = client.get(reverse("web:cases")).content.decode()
    assert first.number in body
    assert len(three) == len(one)  # a filter, not a loop over the cases
    assert client.get(reverse("web:dashboard")).context["board"].open_cases == 3
    client.force_login(person(MAIL_USER).user)
    assert first.number not in client.get(reverse("web:cases"), {"q": "jperez"}).content.decode()
    assert client.get(reverse("web:dashboard")).context["board"].open_cases == 0


def test_a_task_page_of_an_unreadable_case_is_not_found_and_names_no_role(client, no_role):
    case = case_at_backup()
    task = case.tasks.get(activity=3)
    client.force_login(no_role.user)
    for response in (
        client.get(reverse("web:task", args=[task.pk])),
        client.post(reverse("web:task", args=[task.pk]), {}),
        client.post(reverse("web:task-claim", args=[task.pk])),
    ):
        assert response.status_code == 404
        assert "Plataforma de Correo" not in response.content.decode()


def test_a_superuser_with_a_person_reads_and_manages(client, no_role):
    case = case_at_backup()
    no_role.user.is_superuser = True
    no_role.user.save(update_fields=["is_superuser"])
    client.force_login(no_role.user)
    assert client.get(reverse("web:case", args=[case.number])).status_code == 200
    client.post(reverse("web:case-suspend", args=[case.number]), {"reason": "Revisión"})
    case.refresh_from_db()
    assert case.status == Case.Status.SUSPENDED
