"""Need-to-know through the REST API and the services, across entities (docs/permissions.md)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from mapro.audit.models import AuditEvent
from mapro.cases import services
from mapro.cases.access import procedure_access
from mapro.cases.models import Attachment
from mapro.catalogue.models import ProcedureVersion
from mapro.catalogue.tests.sample_data import task_complete

from .conftest import person

INPUTS = {"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}
MANAGER = "responsable_plataforma_correo"


def api(who) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=who.user)
    return client


@pytest.mark.django_db
def test_a_task_of_another_entity_is_not_found_names_no_role_and_audits_nothing():
    case = services.case_start(
        procedure_code="PR.OTI.005", requester=person("MVCS", "analista_mesa_servicios"), inputs=INPUTS
    )
    task = case.tasks.get(activity=1)
    outsider = person("SENACE", "jefe_oti")
    events = AuditEvent.objects.count()
    client = api(outsider)
    for url, data in (
        (f"/api/v1/tasks/{task.pk}/complete/", {}),
        (f"/api/v1/tasks/{task.pk}/claim/", {}),
        (f"/api/v1/tasks/{task.pk}/assign/", {"assignee": outsider.user.username}),
        (f"/api/v1/cases/{case.number}/comments/", {"text": "Hola"}),
        (f"/api/v1/cases/{case.number}/cancel/", {"reason": "Hola"}),
    ):
        response = client.post(url, data, format="json")
        assert response.status_code == 404, url
        assert "Mesa de Servicios" not in response.content.decode()
    assert client.get(f"/api/v1/cases/{case.number}/").status_code == 404
    assert AuditEvent.objects.count() == events  # in no chain: neither SENACE's nor MVCS's


@pytest.mark.django_db
def test_a_refusal_on_a_readable_case_is_audited_in_its_entitys_chain():
    case = services.case_start(
        procedure_code="PR.OTI.005", requester=person("MVCS", "analista_mesa_servicios"), inputs=INPUTS
    )
    officer = person("MVCS", "oficial_seguridad")  # RACI "I": reads the case, does not act
    response = api(officer).post(
        f"/api/v1/tasks/{case.tasks.get(activity=1).pk}/complete/", {}, format="json"
    )
    assert response.status_code == 403
    refusal = AuditEvent.objects.get(action="permission.denied")
    assert (refusal.chain, refusal.case_id) == ("MVCS", case.pk)


@pytest.mark.django_db
def test_procedure_access_from_the_ficha():
    access = procedure_access(version=ProcedureVersion.objects.get(code="PR.OTI.005", is_current=True))
    assert access.owners == {"director_oti"}
    assert access.readers == {"director_oti", "oficial_seguridad", "analista_mesa_servicios", MANAGER}
    assert access.managers == {"director_oti"}
    # The owner of S.04.02.01_P, the head of Senace's OTI, is a role that ficha does not itself declare.
    other = procedure_access(version=ProcedureVersion.objects.get(code="S.04.02.01_P", is_current=True))
    assert other.owners == {"jefe_oti"}


@pytest.mark.django_db
def test_evidence_uploaded_before_the_migration_gets_its_activitys_restriction(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    analyst, manager = person("MVCS", "analista_mesa_servicios"), person("MVCS", MANAGER)
    case = services.case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=INPUTS)
    for activity, actor in ((1, analyst), (2, manager), (3, manager)):
        task_complete(task_id=case.tasks.get(activity=activity).pk, actor=actor)
    # As the task page stored it before: right after the completion, without its task.
    old = services.case_attachment_add(
        case_id=case.pk, actor=manager, upload=SimpleUploadedFile("a.pst", b"x")
    )
    assert old.restricted_to == []
    migration = importlib.import_module("mapro.cases.migrations.0003_attachment_restricted_to")
    migration.link_evidence_to_tasks(apps, None)
    old = Attachment.objects.get(pk=old.pk)
    assert (old.task.activity, old.record.record_id, old.restricted_to) == (3, "respaldo_pst", [MANAGER])


@pytest.mark.django_db
def test_attachments_through_the_api_follow_their_activitys_restriction(settings, tmp_path):
    """The .PST backup of activity 3 (5.g: only the mail-platform manager) is listed and downloaded by him
    alone; a reserved upload by its uploader's role; unknown multipart fields are refused."""
    settings.MEDIA_ROOT = tmp_path
    analyst, manager, officer = (
        person("MVCS", role) for role in ("analista_mesa_servicios", MANAGER, "oficial_seguridad")
    )
    case = services.case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=INPUTS)
    task_complete(task_id=case.tasks.get(activity=1).pk, actor=analyst)
    task_complete(task_id=case.tasks.get(activity=2).pk, actor=manager)
    backup_task = case.tasks.get(activity=3)
    task_complete(task_id=backup_task.pk, actor=manager)
    url = f"/api/v1/cases/{case.number}/attachments/"

    backup = api(manager).post(
        url, {"file": SimpleUploadedFile("jperez.pst", b"PST"), "task": backup_task.pk}, format="multipart"
    )
    assert backup.status_code == 201, backup.content
    assert (backup.json()["task"], backup.json()["restricted_to"]) == (backup_task.pk, [MANAGER])
    note = api(analyst).post(url, {"file": SimpleUploadedFile("nota.txt", b"nota")}, format="multipart")
    reserved = api(analyst).post(
        url, {"file": SimpleUploadedFile("r.txt", b"r"), "reserved": "true"}, format="multipart"
    )
    assert (note.status_code, reserved.status_code) == (201, 201)
    assert reserved.json()["restricted_to"] == ["analista_mesa_servicios"]

    def listed(who) -> list[str]:
        return sorted(a["filename"] for a in api(who).get(url).json())

    assert listed(manager) == ["jperez.pst", "nota.txt"]
    assert listed(officer) == ["nota.txt"]
    assert listed(analyst) == ["nota.txt", "r.txt"]
    backup_url = f"{url}{backup.json()['id']}/"
    download = api(manager).get(backup_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"PST"
    for outsider in (officer, analyst, person("SENACE", "jefe_oti")):
        assert api(outsider).get(backup_url).status_code == 404

    unknown = api(analyst).post(
        url, {"file": SimpleUploadedFile("x.txt", b"x"), "nota": "1"}, format="multipart"
    )
    assert unknown.status_code == 400 and "nota" in unknown.json()["field_errors"]
    assert Attachment.objects.filter(case=case).count() == 3
