"""
The authorization matrix, generated from the catalogue (docs/permissions.md).

For every procedure: one case, started by a holder of its first activity's role and driven through services to
a state with an open task, records (a restricted one where the ficha has one) and attachments (evidence of
the first and the restricted activity, a reserved upload from the case page). Then every role the procedure
names, its owner, a person with no role and a superuser, in the procedure's entity and in another entity
(there: the holders of the same role codes, a person with no role, a superuser), try every action through
the REST API and through the web pages. Each request runs in a savepoint that is rolled back, so all
of them see the same case.

The expected answer is computed from the definition and the case's state by the rule as docs/permissions.md
states it, restated here without using mapro.cases.access. Failures are collected per procedure and name the
procedure, the person, the channel and the action.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from mapro.audit.models import AuditEvent
from mapro.cases import services
from mapro.cases.models import Attachment, Case, CaseTask, Comment
from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import REQUESTER
from mapro.catalogue.tests.sample_data import role_record_data, task_complete
from mapro.organization.models import Entity, Person, Role
from mapro.organization.services import demo_username

from .test_every_branch_api import CATALOGUE, shortest, start_inputs, to_end

ALLOWED, FORBIDDEN, ABSENT = "permitido", "403", "404"
CHECKS: list[int] = []  # checks made per procedure, summed in the last test


# --- the rule, restated from docs/permissions.md ----------------------------------------------------------


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\((a|as)\)|/(a|as)\b", " ", text)
    connectives = {"de", "del", "la", "las", "el", "los", "y", "e", "o"}
    return " ".join(w for w in re.findall(r"[a-z0-9]+", text) if w not in connectives)


def owners_of(d: Definition) -> set[str]:
    """The roles named as the ficha's owner, in the ficha or else in another ficha of the same entity."""
    key = name_key(d.owner)
    own = {r.id for r in d.roles if name_key(r.name) == key}
    if own:
        return own
    same_entity = [c.definition for c in CATALOGUE.definitions.values() if c.definition.entity == d.entity]
    return {r.id for other in same_entity for r in other.roles if name_key(r.name) == key}


def procedure_readers(d: Definition) -> set[str]:
    raci = {role for row in d.raci for role in row.roles}
    supervisor = {d.supervision.role} if d.supervision else set()
    return raci | supervisor | owners_of(d)


def procedure_managers(d: Definition) -> set[str]:
    accountable = {role for row in d.raci for role, letter in row.roles.items() if letter == "A"}
    return owners_of(d) | accountable


def record_restriction(d: Definition, record_id: str) -> set[str]:
    return set(next(r for r in d.records if r.id == record_id).restricted_to)


def evidence_restriction(d: Definition, activity: int) -> set[str]:
    return {role for record_id in d.activity(activity).records for role in record_restriction(d, record_id)}


# --- the case ---------------------------------------------------------------------------------------------


@dataclass
class Fixture:
    d: Definition
    case: Case
    task: CaseTask  # the open task the task actions aim at
    records: dict[int, set[str]]  # record pk -> roles it is restricted to
    attachments: dict[int, tuple[set[str], int]]  # attachment pk -> (restriction, uploader pk)
    involved: set[int] = field(default_factory=set)  # requested, completed, assigned, commented, attached


def person(entity: str, role: str) -> Person:
    return Person.objects.select_related("entity", "user").get(
        user__username=demo_username(entity=Entity.objects.get(code=entity), role_code=role)
    )


def no_role_person(entity: Entity, *, superuser: bool = False) -> Person:
    """A person of `entity` holding no role; a superuser when asked (administrators read every case)."""
    name = f"{entity.code.lower()}.{'superusuario' if superuser else 'sin_rol'}"
    user, _ = get_user_model().objects.get_or_create(username=name, defaults={"is_superuser": superuser})
    return Person.objects.get_or_create(user=user, defaults={"entity": entity, "full_name": name})[0]


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"evidencia de prueba", content_type="application/octet-stream")


def plan(d: Definition) -> tuple[int, dict[int, str | None], int | None]:
    """(start, decision label per activity, the first activity writing a restricted record, if any)."""
    restricted = [a.n for a in d.activities if evidence_restriction(d, a.n)]
    start = d.start_activities()[0]
    labels: dict[int, str | None] = {}
    target = None
    for n in restricted:
        path = shortest(d, [start], lambda m, n=n: m == n)
        if path is not None:
            target, labels = n, dict(path[:-1])
            break
    return start, labels, target


def label_for(d: Definition, n: int, labels: dict[int, str | None]) -> str | None:
    if n in labels:
        return labels[n]
    step = to_end(d, n)[0]
    return step[1]


def stop_plan(d: Definition, stop_at: int) -> tuple[int, dict[int, str | None], None]:
    """Like `plan`, to a case whose open task is activity `stop_at`."""
    for start in d.start_activities():
        path = shortest(d, [start], lambda m: m == stop_at)
        if path is not None:
            return start, dict(path[:-1]), None
    raise AssertionError(f"{d.code}: {stop_at} is unreachable")


def performer_of(entity: str, task: CaseTask) -> Person:
    """Who completes the task in the set-up: the requester for theirs, else the holder of its first role."""
    if task.role_code == REQUESTER:
        return Person.objects.select_related("entity", "user").get(pk=task.case.requester_id)
    return person(entity, task.role_code)


def drive(d: Definition, stop_at: int | None = None) -> Fixture:
    entity = d.entity.value
    start, labels, target = plan(d) if stop_at is None else stop_plan(d, stop_at)
    first = d.activity(start).role
    requester = person(entity, first if first != REQUESTER else d.roles[0].id)
    flow = next((f.id for f in d.flows if f.start == start), None)
    case = services.case_start(procedure_code=d.code, requester=requester, inputs=start_inputs(d), flow=flow)
    attachments: dict[int, tuple[set[str], int]] = {}
    completed: list[CaseTask] = []
    for _ in range(40):
        open_tasks = list(case.tasks.filter(status=CaseTask.Status.OPEN).order_by("created_at"))
        humans = [t for t in open_tasks if d.activity(t.activity).call is None]
        assert humans, f"{d.code}: only call tasks open"
        if stop_at is not None and stop_at in {t.activity for t in humans}:
            break
        if stop_at is None and completed and (target is None or target in {t.activity for t in completed}):
            break
        task = humans[0]
        actor = performer_of(entity, task)
        task_complete(
            task_id=task.pk,
            actor=actor,
            decision=label_for(d, task.activity, labels),
            data=role_record_data(d, task.activity, task.role_code),
        )
        task.refresh_from_db()
        completed.append(task)
        if len(completed) == 1 or task.activity == target:
            evidence = services.case_attachment_add(
                case_id=case.pk, actor=actor, upload=upload(f"evidencia-{task.activity}.pst"), task_id=task.pk
            )
            attachments[evidence.pk] = (evidence_restriction(d, task.activity), actor.pk)
        case.refresh_from_db()
        assert case.status == Case.Status.OPEN, f"{d.code}: the case ended before an open task"
    # Reserving needs a role of the procedure: the last role that acted, else the requester's (chosen above).
    last_task = next((t for t in reversed(completed) if t.role_code != REQUESTER), None)
    last, last_role = (
        (performer_of(entity, last_task), last_task.role_code) if last_task else (requester, first)
    )
    if last_role == REQUESTER:
        last_role = d.roles[0].id
    reserved = services.case_attachment_add(
        case_id=case.pk, actor=last, upload=upload("reservado.pdf"), reserved=True
    )
    attachments[reserved.pk] = ({last_role}, last.pk)
    task = next(
        t
        for t in case.tasks.filter(status=CaseTask.Status.OPEN).order_by("created_at")
        if d.activity(t.activity).call is None and stop_at in (None, t.activity)
    )
    records = {r.pk: record_restriction(d, r.record_id) for r in case.records.all()}
    assert target is None or any(records.values()), f"{d.code}: no restricted record written"
    involved = {case.requester_id, *(t.completed_by_id for t in completed)}
    return Fixture(d=d, case=case, task=task, records=records, attachments=attachments, involved=involved)


# --- expectations -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    read: bool
    records: frozenset[int]
    attachments: frozenset[int]
    act: str
    manage: str
    write: str  # comment, attach


def expected(fx: Fixture, who: Person, roles: set[str]) -> Expected:
    case, d = fx.case, fx.d
    if who.entity_id != case.entity_id:
        return Expected(False, frozenset(), frozenset(), ABSENT, ABSENT, ABSENT)
    admin = who.user.is_superuser
    # Every role that may complete an open task (the co-roles of an activity any of them completes too).
    open_roles = {r for t in case.tasks.filter(status=CaseTask.Status.OPEN) for r in t.roles} - {REQUESTER}
    read = admin or who.pk in fx.involved or bool(roles & open_roles) or bool(roles & procedure_readers(d))
    if not read:
        return Expected(False, frozenset(), frozenset(), ABSENT, ABSENT, ABSENT)
    records = frozenset(pk for pk, only in fx.records.items() if not only or roles & only)
    attachments = frozenset(
        pk
        for pk, (only, uploader) in fx.attachments.items()
        if not only or roles & only or uploader == who.pk
    )
    # A task of the requester is theirs alone; any other, a holder of any of its roles.
    if fx.task.role_code == REQUESTER:
        act = ALLOWED if who.pk == case.requester_id else FORBIDDEN
    else:
        act = ALLOWED if set(fx.task.roles) & roles else FORBIDDEN
    others_worked = case.tasks.filter(status=CaseTask.Status.COMPLETED).exclude(completed_by=who).exists()
    withdraws = who.pk == case.requester_id and not others_worked
    manage = ALLOWED if admin or roles & procedure_managers(d) or withdraws else FORBIDDEN
    return Expected(True, records, attachments, act, manage, ALLOWED)


# --- probing ----------------------------------------------------------------------------------------------


class Probe:
    """Runs each request in a savepoint rolled back afterwards, and collects mismatches."""

    def __init__(self, fx: Fixture) -> None:
        self.fx = fx
        self.last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.failures: list[str] = []
        self.checks = 0

    def check(self, label: str, want: object, got: object) -> None:
        self.checks += 1
        if want != got:
            self.failures.append(f"{label}: se esperaba {want}, resultó {got}")

    def run(self, label: str, who: Person, request, effect=None, prepare=None):
        """`effect()` (read before the rollback) tells whether the change was made, for web redirects."""
        with transaction.atomic():
            if prepare:
                prepare()
            response = request()
            changed = effect() if effect else None
            events = list(AuditEvent.objects.filter(pk__gt=self.last_event).values_list("chain", "case_id"))
            body = (
                response.json() if response.get("Content-Type", "").startswith("application/json") else None
            )
            if hasattr(response, "streaming_content"):
                # Consumed, the test client closes the file itself without closing the connection (which
                # response.close() would do on PostgreSQL, inside this savepoint).
                b"".join(response.streaming_content)
            transaction.set_rollback(True)
        own = who.entity_id == self.fx.case.entity_id
        wrong_chain = [
            e for e in events if e[0] != self.fx.case.entity.code or e[1] not in (None, self.fx.case.pk)
        ]
        self.check(f"{label} auditoría en la cadena de la entidad del expediente", [], wrong_chain)
        if not own:
            self.check(f"{label} auditoría de otra entidad", [], events)
        return response, body, changed


def api_outcome(status: int, allowed: set[int]) -> str:
    if status in allowed:
        return ALLOWED
    return {403: FORBIDDEN, 404: ABSENT}.get(status, f"HTTP {status}")


def probe_api(p: Probe, who: Person, label: str, want: Expected) -> None:
    fx = p.fx
    client = APIClient()
    client.force_authenticate(user=who.user)
    number, task = fx.case.number, fx.task.pk
    response, body, _ = p.run(f"{label} API leer", who, lambda: client.get(f"/api/v1/cases/{number}/"))
    p.check(
        f"{label} API leer expediente",
        ALLOWED if want.read else ABSENT,
        api_outcome(response.status_code, {200}),
    )
    if response.status_code == 200:
        p.check(f"{label} API registros", set(want.records), {r["id"] for r in body["records"]})
    actions = [
        ("completar", f"/api/v1/tasks/{task}/complete/", {"decision": "__ninguna__"}, {400}, want.act),
        ("tomar", f"/api/v1/tasks/{task}/claim/", {}, {200}, want.act),
        ("asignar", f"/api/v1/tasks/{task}/assign/", {"assignee": who.user.username}, {200}, want.act),
        ("suspender", f"/api/v1/cases/{number}/suspend/", {"reason": "Prueba"}, {200}, want.manage),
        ("anular", f"/api/v1/cases/{number}/cancel/", {"reason": "Prueba"}, {200}, want.manage),
        ("comentar", f"/api/v1/cases/{number}/comments/", {"text": "Prueba"}, {201}, want.write),
    ]
    for action, url, data, ok, expect in actions:
        response, _, _ = p.run(
            f"{label} API {action}", who, lambda u=url, d=data: client.post(u, d, format="json")
        )
        p.check(f"{label} API {action}", expect, api_outcome(response.status_code, ok))
    response, _, _ = p.run(
        f"{label} API reanudar",
        who,
        lambda: client.post(f"/api/v1/cases/{number}/resume/"),
        prepare=lambda: Case.objects.filter(pk=fx.case.pk).update(status=Case.Status.SUSPENDED),
    )
    p.check(f"{label} API reanudar", want.manage, api_outcome(response.status_code, {200}))
    response, _, _ = p.run(
        f"{label} API adjuntar",
        who,
        lambda: client.post(
            f"/api/v1/cases/{number}/attachments/", {"file": upload("x.txt")}, format="multipart"
        ),
    )
    p.check(f"{label} API adjuntar", want.write, api_outcome(response.status_code, {201}))


def probe_web(p: Probe, who: Person, label: str, want: Expected) -> None:
    fx = p.fx
    client = Client()
    client.force_login(who.user)
    case_url, task_url = f"/expedientes/{fx.case.number}/", f"/tareas/{fx.task.pk}/"
    response, _, _ = p.run(f"{label} web leer", who, lambda: client.get(case_url))
    p.check(
        f"{label} web leer expediente",
        ALLOWED if want.read else ABSENT,
        api_outcome(response.status_code, {200}),
    )
    if response.status_code == 200:
        p.check(f"{label} web registros", set(want.records), {r.pk for r, _ in response.context["records"]})
        listed = {a.pk for a in response.context["attachments"]}
        p.check(f"{label} web adjuntos listados", set(want.attachments), listed)
    for pk in fx.attachments:
        response, _, _ = p.run(
            f"{label} web descargar {pk}", who, lambda pk=pk: client.get(f"{case_url}adjuntos/{pk}/")
        )
        expect = ALLOWED if pk in want.attachments else ABSENT
        p.check(f"{label} web descargar adjunto {pk}", expect, api_outcome(response.status_code, {200}))
    response, _, _ = p.run(f"{label} web tarea", who, lambda: client.get(task_url))
    p.check(
        f"{label} web ver tarea", ALLOWED if want.read else ABSENT, api_outcome(response.status_code, {200})
    )
    response, _, _ = p.run(
        f"{label} web completar", who, lambda: client.post(task_url, {"decision": "__ninguna__"})
    )
    p.check(f"{label} web completar", want.act, api_outcome(response.status_code, {400}))

    def effect_status(status: str):
        return lambda: Case.objects.get(pk=fx.case.pk).status == status

    def web_change(action: str, url: str, data: dict, effect, expect: str, prepare=None) -> None:
        response, _, changed = p.run(
            f"{label} web {action}", who, lambda: client.post(url, data), effect=effect, prepare=prepare
        )
        got = ABSENT if response.status_code == 404 else (ALLOWED if changed else FORBIDDEN)
        if response.status_code not in (302, 404):
            got = f"HTTP {response.status_code}"
        p.check(f"{label} web {action}", expect, got)

    web_change(
        "tomar",
        f"{task_url}tomar/",
        {},
        lambda: CaseTask.objects.get(pk=fx.task.pk).assignee_id == who.pk,
        want.act,
    )
    web_change(
        "suspender", f"{case_url}suspender/", {"reason": "Prueba"}, effect_status("suspended"), want.manage
    )
    web_change("anular", f"{case_url}anular/", {"reason": "Prueba"}, effect_status("cancelled"), want.manage)
    web_change(
        "reanudar",
        f"{case_url}reanudar/",
        {},
        effect_status("open"),
        want.manage,
        prepare=lambda: Case.objects.filter(pk=fx.case.pk).update(status=Case.Status.SUSPENDED),
    )
    comments = Comment.objects.filter(case=fx.case).count()
    web_change(
        "comentar",
        f"{case_url}comentarios/",
        {"text": "Prueba"},
        lambda: Comment.objects.filter(case=fx.case).count() > comments,
        want.write,
    )
    files = Attachment.objects.filter(case=fx.case).count()
    web_change(
        "adjuntar",
        f"{case_url}adjuntos/",
        {"file": upload("y.txt")},
        lambda: Attachment.objects.filter(case=fx.case).count() > files,
        want.write,
    )


# --- the matrix -------------------------------------------------------------------------------------------


def people_to_try(d: Definition) -> list[tuple[str, Person, set[str]]]:
    """
    (label, person, the roles they hold): in the procedure's entity, the holder of every role of the
    procedure, its owner, a person with no role and a superuser; in another entity, the holder of each of
    those role codes where that entity has one, a person with no role and a superuser (each person once).
    """
    entity = Entity.objects.get(code=d.entity.value)
    others = list(Entity.objects.exclude(pk=entity.pk).order_by("code"))
    codes = sorted({r.id for r in d.roles} | owners_of(d))
    tried = [(f"{d.code} / {code} / misma entidad", person(entity.code, code), {code}) for code in codes]
    tried += [
        (f"{d.code} / sin rol / misma entidad", no_role_person(entity), set()),
        (f"{d.code} / superusuario / misma entidad", no_role_person(entity, superuser=True), set()),
    ]
    for code in codes:
        other = next((e for e in others if Role.objects.filter(entity=e, code=code).exists()), None)
        if other is not None:
            tried.append((f"{d.code} / {code} / {other.code}", person(other.code, code), {code}))
    tried += [
        (f"{d.code} / sin rol / {others[0].code}", no_role_person(others[0]), set()),
        (f"{d.code} / superusuario / {others[0].code}", no_role_person(others[0], superuser=True), set()),
    ]
    return tried


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(CATALOGUE.definitions))
def test_authorization_matrix(code, media):
    d = CATALOGUE.definitions[code].definition
    fx = drive(d)
    people = people_to_try(d)
    probe = Probe(fx)  # after every write of the set-up: the audit events it sees are the requests'
    for label, who, roles in people:
        want = expected(fx, who, roles)
        probe_api(probe, who, label, want)
        probe_web(probe, who, label, want)
    CHECKS.append(probe.checks)
    assert not probe.failures, f"{len(probe.failures)} de {probe.checks}:\n" + "\n".join(probe.failures[:40])


# Tasks several people may complete, each probed like the matrix's task: a co-responsible pair any of whom
# completes the activity, one role's task of an activity each role must complete, and a task of the requester.
SHARED_TASKS = [
    ("S.04.01.01_P", 5),  # 004:482 "Jefe/a y Coordinador/a" revisan: any
    ("S.04.03.02_P", 202),  # 004:1399 "Especialista en IS Especialista en SD": each
    ("S.04.04.02_P", 6),  # 004:2212 ¿Es conforme? the requester's answer
]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "activity"), SHARED_TASKS)
def test_authorization_matrix_of_shared_tasks(code, activity, media):
    d = CATALOGUE.definitions[code].definition
    fx = drive(d, stop_at=activity)
    assert fx.task.activity == activity
    people = people_to_try(d)
    probe = Probe(fx)  # after every write of the set-up, people included
    for label, who, roles in people:
        want = expected(fx, who, roles)
        probe_api(probe, who, f"{label} / actividad {activity}", want)
        probe_web(probe, who, f"{label} / actividad {activity}", want)
    CHECKS.append(probe.checks)
    assert not probe.failures, f"{len(probe.failures)} de {probe.checks}:\n" + "\n".join(probe.failures[:40])


def test_matrix_size_is_reported():
    """Runs after the matrix (same module, file order): prints how many checks it made."""
    if CHECKS:
        print(f"\nmatriz de autorización: {len(CHECKS)} procedimientos, {sum(CHECKS)} comprobaciones")
    assert all(CHECKS)
