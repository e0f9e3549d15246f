"""
E-mail end to end against a real SMTP server (aiosmtpd on 127.0.0.1, conftest.py): a PR.OTI.005 driven
once under time travel tells each person and contact once, reminds before the 4-hour suspension term and
the 7-day backup term, escalates the missed 4-hour term to the head of the OTI, and tells the requester
the case concluded; a refused message is retried with backoff; a daily digest bundles held mails once.

Times are America/Lima. PR.OTI.005 (seed lines 256-265): activity 1's end (Monday 9 March 2026, 10:00)
anchors the 4-hour suspension (activity 2, due 14:00, clock hours: reminder 1 hour before, 13:00) and the
7-day backup (activity 3, due Monday 16 March 23:59:59, calendar days: reminder at the start of office
hours of the working day before, Friday 13 March 08:30).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from mapro.cases.models import Deadline
from mapro.cases.services import case_task_claim
from mapro.cases.tests.conftest import person
from mapro.cases.tests.test_deadlines_act import complete, lima, start
from mapro.mail.models import MailPreference, OutboundEmail
from mapro.mail.selectors import unit_head_role
from mapro.mail.services import email_enqueue, emails_deliver, emails_digest, mail_tick
from mapro.organization.models import Delegation, Role, RoleAssignment, Unit

pytestmark = pytest.mark.django_db
BASE = "https://mapro.example.gob.pe"
T0 = lima(2026, 3, 9, 10, 0)


def tick(at: dt.datetime) -> int:
    with time_machine.travel(at, tick=False):
        return mail_tick()


def test_a_case_mails_each_person_once_reminds_escalates_and_tells_the_requester(inbox):
    analista = person("MVCS", "analista_mesa_servicios")
    responsable = person("MVCS", "responsable_plataforma_correo")
    oficial = person("MVCS", "oficial_seguridad")
    director = person("MVCS", "director_oti")
    coordinador = person("MVCS", "coordinador_infraestructura")
    with time_machine.travel(T0, tick=False):
        case = start("PR.OTI.005", cuenta_correo="jperez@vivienda.gob.pe")
        complete(case, 1)
    link = f"{BASE}/expedientes/{case.number}/"
    matter = "PR.OTI.005 — "

    # At the next tick: activity 2 to the platform's responsible (activity 1, done by then, is not mailed),
    # and activity 1's informed: RACI "I" (security officer, platform responsible) and the outside address.
    assert tick(T0 + dt.timedelta(minutes=1)) == 4
    got = inbox.by_key()
    assert len(got) == len(inbox.messages) == 4
    task2 = case.tasks.get(activity=2)
    mail = got[f"task:{task2.pk}:person:{responsable.pk}"]
    assert mail.rcpt_tos == [responsable.email]
    assert mail.subject == f"[{case.number}] {case.subject} — Tarea pendiente: 2. {task2.name}"
    assert f"{BASE}/tareas/{task2.pk}/" in mail.body and case.number in mail.body and matter in mail.body
    assert "Vence: 09/03/2026 14:00" in mail.body and "Responsable de la gestión" in mail.body
    assert not any(k.startswith(f"task:{case.tasks.get(activity=1).pk}:") for k in got)
    informed = {tuple(m.rcpt_tos) for k, m in got.items() if k.startswith("notification:")}
    assert informed == {(oficial.email,), (responsable.email,), ("infraestructura@vivienda.gob.pe",)}
    outside = next(m for m in inbox.messages if m.rcpt_tos == ["infraestructura@vivienda.gob.pe"])
    assert outside.subject == f"[{case.number}] {case.subject} — Aviso: actividad 1 completada"
    assert link in outside.body and "infraestructura@vivienda.gob.pe" in outside.body  # the ficha's words

    # The 4-hour term: no reminder at 12:59, one at 13:00, never a second.
    inbox.clear()
    assert tick(lima(2026, 3, 9, 12, 59)) == 0
    assert tick(lima(2026, 3, 9, 13, 0, 30)) == 1
    assert tick(lima(2026, 3, 9, 13, 30)) == 0
    suspension = case.deadlines.get(time_rule="suspension_4h")
    (reminder,) = inbox.messages
    assert reminder.key == f"reminder:{suspension.pk}" and reminder.rcpt_tos == [responsable.email]
    assert reminder.subject == f"[{case.number}] {case.subject} — Recordatorio: vence el 09/03/2026 14:00"
    assert link in reminder.body and "cuatro (04) horas" in reminder.body

    # Overdue at 14:00, and nobody is the OTI's head that day (the director's designation ended the day
    # before): nobody is told, and the admin's list of mails says so.
    inbox.clear()
    assert unit_head_role(entity=case.entity, unit_code="oti")[1] == "director_oti"  # named after the unit
    designation = RoleAssignment.objects.get(person=director, role__code="director_oti")
    designation.ends_on = dt.date(2026, 3, 8)
    designation.save()
    assert tick(lima(2026, 3, 9, 14, 0, 30)) == 0
    marker = OutboundEmail.objects.get(key=f"escalation:{suspension.pk}:sin-jefe")
    assert marker.status == OutboundEmail.Status.FAILED and "Oficina de Tecnología" in marker.last_error
    assert tick(lima(2026, 3, 9, 14, 1)) == 0 and inbox.messages == []
    # An encargatura: the infrastructure coordinator acts as director ("o quien haga sus veces") from
    # today; the next tick escalates to him, once.
    Delegation.objects.create(
        role=designation.role,
        delegate=coordinador,
        starts_on=dt.date(2026, 3, 9),
        ends_on=dt.date(2026, 3, 31),
        reason="Encargatura de la Dirección de la OTI",
    )
    assert tick(lima(2026, 3, 9, 14, 5)) == 1
    assert tick(lima(2026, 3, 9, 18, 0)) == 0
    (escalation,) = inbox.messages
    assert escalation.key == f"escalation:{suspension.pk}" and escalation.rcpt_tos == [coordinador.email]
    assert escalation.subject.startswith(f"[{case.number}] {case.subject} — Plazo vencido: Suspensión")
    body = escalation.body
    assert "artículo 154" in body and "Ley N° 27444" in body and "Oficina de Tecnología" in body
    assert responsable.full_name in body and link in body
    # The administrator may name another head role, of the unit's own entity only.
    oti = Unit.objects.get(entity=case.entity, code="oti")
    oti.head_role = Role.objects.exclude(entity=case.entity).first()
    with pytest.raises(ValidationError):
        oti.clean()
    oti.head_role = Role.objects.get(entity=case.entity, code="coordinador_infraestructura")
    oti.full_clean()
    oti.save()
    assert unit_head_role(entity=case.entity, unit_code="oti")[1] == "coordinador_infraestructura"

    # The 7-day backup term (calendar days): reminded at 08:30 of Friday 13 March, the working day before,
    # to whoever holds activity 3's role although the activity has not started.
    inbox.clear()
    assert tick(lima(2026, 3, 13, 8, 29)) == 0
    assert tick(lima(2026, 3, 13, 8, 31)) == 1
    backup = case.deadlines.get(time_rule="respaldo_7d")
    assert [(m.key, m.rcpt_tos) for m in inbox.messages] == [(f"reminder:{backup.pk}", [responsable.email])]

    # Activities 2 to 4 done: the case concludes and its requester is told, once.
    inbox.clear()
    with time_machine.travel(lima(2026, 3, 13, 9, 0), tick=False):
        case_task_claim(task_id=task2.pk, actor=responsable)  # already told of this task: not again
        for n in (2, 3, 4):
            complete(case, n)
    case.refresh_from_db()
    assert case.status == "closed"
    tick(lima(2026, 3, 13, 9, 1))
    assert tick(lima(2026, 3, 13, 9, 2)) == 0
    assert not any(m.key.startswith("task:") for m in inbox.messages)
    closed = inbox.by_key()[f"closed:{case.pk}"]
    assert closed.rcpt_tos == [analista.email]
    assert closed.subject == f"[{case.number}] {case.subject} — Expediente concluido"
    assert link in closed.body and matter in closed.body and "Concluyó el expediente" in closed.body
    assert suspension.__class__.objects.get(pk=suspension.pk).status == Deadline.Status.MISSED
    # Every mail once: no key twice, and nothing left to send.
    assert len({m.key for m in inbox.messages}) == len(inbox.messages)
    assert not OutboundEmail.objects.filter(case=case, status__in=["pending", "sending"]).exists()


def test_a_refused_message_is_retried_with_backoff_and_a_failed_one_retried_by_hand(
    inbox, settings, client, django_user_model
):
    now = lima(2026, 3, 10, 9, 0)
    settings.MAIL_MAX_ATTEMPTS = 2
    with time_machine.travel(now, tick=False):
        pdf = ("informe.pdf", b"%PDF-1.7 prueba", "application/pdf")
        email = email_enqueue(
            key="prueba:1",
            to=["a@example.pe"],
            subject="Prueba",
            body="Hola",
            digest=False,
            attachments=[pdf],
        )
        assert (
            email_enqueue(key="prueba:1", to=["b@example.pe"], subject="Otra", body="", digest=False) is None
        )
    inbox.refuse = ["451 4.3.0 Intente más tarde"]
    assert emails_deliver(now=now) == 0
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1) and "451" in email.last_error
    assert email.next_attempt_at == now + dt.timedelta(seconds=60)
    assert emails_deliver(now=now + dt.timedelta(seconds=59)) == 0  # not yet due
    assert emails_deliver(now=now + dt.timedelta(seconds=60)) == 1
    (received,) = inbox.messages
    assert received.rcpt_tos == ["a@example.pe"] and received.subject == "Prueba"
    (attached,) = received.message.iter_attachments()
    assert (attached.get_filename(), attached.get_content()) == ("informe.pdf", b"%PDF-1.7 prueba")
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 2, "")

    # Refused for good: after MAIL_MAX_ATTEMPTS it is "failed" (the admin lists it); a retry sends it.
    inbox.clear()
    other = email_enqueue(key="prueba:2", to=["c@example.pe"], subject="Prueba 2", body="Hola", digest=False)
    inbox.refuse = ["550 5.1.1 Buzón inexistente", "550 5.1.1 Buzón inexistente"]
    later = dt.datetime.now(tz=dt.UTC)
    emails_deliver(now=later)
    emails_deliver(now=later + dt.timedelta(minutes=5))
    other.refresh_from_db()
    assert (other.status, other.attempts, other.next_attempt_at) == ("failed", 2, None)
    assert "550" in other.last_error
    assert emails_deliver(now=later + dt.timedelta(days=1)) == 0
    # The administrator sees it among the failed mails, with the server's answer, and retries it.
    client.force_login(django_user_model.objects.get(username="admin"))
    changelist = reverse("admin:mail_outboundemail_changelist")
    page = client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "prueba:2" in page and "Buzón inexistente" in page and "prueba:1" not in page
    client.post(changelist, {"action": "retry", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert (other.status, other.attempts) == ("pending", 0)
    assert emails_deliver() == 1 and inbox.messages[0].rcpt_tos == ["c@example.pe"]

    # A row another worker is sending is left alone; its claim, once stale (the worker was killed), is not.
    third = email_enqueue(key="prueba:3", to=["d@example.pe"], subject="Prueba 3", body="Hola", digest=False)
    OutboundEmail.objects.filter(pk=third.pk).update(status="sending", claimed_at=later)
    assert emails_deliver(now=later + dt.timedelta(minutes=9)) == 0
    assert emails_deliver(now=later + dt.timedelta(minutes=11)) == 1
    assert [m.key for m in inbox.messages] == ["prueba:2", "prueba:3"]


def test_a_person_who_prefers_a_digest_gets_one_summary_a_day(inbox, settings):
    settings.MAIL_DIGEST_HOUR = 8
    oficial = person("MVCS", "oficial_seguridad")
    MailPreference.objects.create(person=oficial, mode=MailPreference.Mode.DIGEST)
    with time_machine.travel(lima(2026, 3, 10, 7, 0), tick=False):
        for n in (1, 2):
            email_enqueue(
                key=f"aviso:{n}", to=[oficial.email], subject=f"Aviso {n}", body=f"Texto {n}", person=oficial
            )
        email_enqueue(
            key="urgente", to=[oficial.email], subject="Urgente", body="Ya", person=oficial, digest=False
        )
        assert emails_deliver() == 1  # only the one that may not wait
    assert [m.key for m in inbox.messages] == ["urgente"]
    assert set(OutboundEmail.objects.filter(key__startswith="aviso:").values_list("status", flat=True)) == {
        "held"
    }
    assert emails_digest(now=lima(2026, 3, 10, 7, 59)) == 0  # before the digest hour
    assert emails_digest(now=lima(2026, 3, 10, 8, 0)) == 1
    assert emails_digest(now=lima(2026, 3, 10, 9, 0)) == 0  # once a day
    assert emails_deliver(now=lima(2026, 3, 10, 9, 0)) == 1
    digest = inbox.messages[-1]
    assert digest.key == f"digest:{oficial.pk}:2026-03-10" and digest.rcpt_tos == [oficial.email]
    assert "2 aviso(s)" in digest.subject
    assert "Aviso 1" in digest.body and "Texto 2" in digest.body
    bundled = OutboundEmail.objects.filter(key__startswith="aviso:")
    assert {(e.status, e.digest.key) for e in bundled} == {("bundled", digest.key)}


def test_after_downtime_the_scan_catches_up_batch_by_batch_once(inbox, monkeypatch):
    from mapro.mail.models import MailCursor
    from mapro.mail.services import events

    monkeypatch.setattr(events, "SCAN_BATCH", 1)
    for source in ("tasks", "notifications"):  # the last scan before the downtime
        MailCursor.objects.create(name=source, seen_until=T0 - dt.timedelta(minutes=1))
    with time_machine.travel(T0, tick=False):
        case = start("PR.OTI.005", cuenta_correo="jperez@vivienda.gob.pe")
        complete(case, 1)  # activity 2's task, and three notifications (two roles, one outside address)
    later = T0 + dt.timedelta(hours=3)  # the worker was down until then
    scans = [events.case_events_scan(now=later + dt.timedelta(minutes=n)) for n in range(6)]
    assert scans == [2, 1, 1, 0, 0, 0]  # a task and a notification per batch, then the rest
    assert emails_deliver() == 4
    assert len({m.key for m in inbox.messages}) == 4
