"""
Need-to-know: who may read a case, its records and its attachments, and who may suspend, resume or cancel it.

docs/permissions.md states the rule for people and docs/decisions/0009-need-to-know.md why it is this one;
this module is its only implementation. The REST API, the web pages and the services all ask here, so a
case is readable (or not) the same way everywhere. A case that may not be read is answered as if it did not
exist (404): refusing with 403 would confirm that the number or the task id is real.

Three layers:
- the procedure names roles that read every case of it: RACI (any letter), the supervisor of the ficha and
  the owner of the ficha (the head of the unit that owns the procedure);
- a person reads the cases they are involved in: requested, completed or were assigned a task, commented,
  attached, or may act now (hold one of the roles of an open task, directly or as "quien haga sus veces";
  a task of the requester is the requester's own case);
- records and attachments restricted to roles (the .PST backup of PR.OTI.005) are seen only by holders of
  those roles, whoever else may read the case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q, QuerySet

from mapro.catalogue.definition import Definition
from mapro.catalogue.models import ProcedureVersion
from mapro.core.errors import NotFoundError
from mapro.core.text import fold
from mapro.organization.models import Person
from mapro.organization.selectors import person_role_codes

from .models import Attachment, Case, CaseTask, Comment
from .performers import tasks_performable_q
from .selectors import definition_of

# Words that vary between fichas naming the same post ("Jefe/a de la oficina de tecnologías de información",
# "Jefe(a) de la Oficina de Tecnologías de la Información"): articles, prepositions and gender endings.
_STOP_WORDS = frozenset({"de", "del", "la", "las", "el", "los", "y", "e", "o", "a", "as"})


def role_name_key(name: str) -> str:
    """A post's name without accents, case, gender endings or connectives: the key owner names match on."""
    words = re.split(r"[^a-z0-9]+", fold(name))
    return " ".join(word for word in words if word and word not in _STOP_WORDS)


@dataclass(frozen=True)
class ProcedureAccess:
    """The roles a procedure version names for its cases (role codes of the entity)."""

    owners: frozenset[str]  # the ficha's owner: the head of the unit that owns the procedure
    readers: frozenset[str]  # read every case: RACI (any letter), the supervisor, the owners
    managers: frozenset[str]  # suspend, resume, cancel: the owners and RACI "A"


def procedure_access(*, version: ProcedureVersion) -> ProcedureAccess:
    return _access(version.pk, version.source_sha256, _entity_role_index(version.entity_id))


def _entity_role_index(entity_id: int) -> tuple[tuple[str, str], ...]:
    """
    (name key, role code) of every role the entity's current fichas declare. A ficha's `owner` is the name of
    a post, and that post is often declared only in another ficha of the entity (S.04.02.01_P names the head
    of the OTI as owner but gives him no activity), so the owner is looked up across the entity's catalogue.
    """
    return _role_index(_current(_entity_versions(entity_id)))


def _entity_versions(entity_id: int) -> list[tuple[int, str, bool]]:
    """(pk, content hash, is current) of every version of the entity's procedures: one small query."""
    return list(
        ProcedureVersion.objects.filter(entity_id=entity_id)
        .order_by("pk")
        .values_list("pk", "source_sha256", "is_current")
    )


def _current(versions: list[tuple[int, str, bool]]) -> tuple[tuple[int, str], ...]:
    return tuple((pk, sha) for pk, sha, current in versions if current)


@lru_cache(maxsize=64)
def _role_index(versions: tuple[tuple[int, str], ...]) -> tuple[tuple[str, str], ...]:
    pairs = {
        (role_name_key(role.name), role.id) for pk, sha in versions for role in definition_of(pk, sha).roles
    }
    return tuple(sorted(pairs))


@lru_cache(maxsize=512)
def _access(version_pk: int, sha256: str, role_index: tuple[tuple[str, str], ...]) -> ProcedureAccess:
    definition = definition_of(version_pk, sha256)
    owners = owner_roles(definition=definition, role_index=role_index)
    raci = {role for row in definition.raci for role in row.roles}
    accountable = {role for row in definition.raci for role, letter in row.roles.items() if letter == "A"}
    supervisor = {definition.supervision.role} if definition.supervision else set()
    return ProcedureAccess(
        owners=frozenset(owners),
        readers=frozenset(raci | supervisor | owners),
        managers=frozenset(owners | accountable),
    )


def owner_roles(*, definition: Definition, role_index: Iterable[tuple[str, str]] = ()) -> set[str]:
    """The roles named as the ficha's owner: in the ficha itself first, else in the entity's catalogue."""
    key = role_name_key(definition.owner)
    own = {role.id for role in definition.roles if role_name_key(role.name) == key}
    return own or {code for name, code in role_index if name == key}


# --- cases ------------------------------------------------------------------------------------------------


def _is_admin(person: Person) -> bool:
    return person.user.is_superuser


def cases_readable(*, person: Person, roles: set[str] | None = None) -> QuerySet[Case]:
    """
    The cases `person` may read, as one filter (lists and counts stay one query; no loop over cases).
    `roles` are the person's role codes today, when the caller has them already.
    """
    cases = Case.objects.filter(entity_id=person.entity_id)
    if _is_admin(person):
        return cases
    roles = person_role_codes(person=person, entity=person.entity) if roles is None else roles
    tasks = CaseTask.objects.filter(case=OuterRef("pk")).filter(
        Q(completed_by=person)
        | Q(assignee=person)
        | (Q(status=CaseTask.Status.OPEN) & tasks_performable_q(person=person, roles=roles))
    )
    return cases.filter(
        Q(requester=person)
        | Q(procedure_version_id__in=_versions_read_by_role(entity_id=person.entity_id, roles=roles))
        | Exists(tasks)
        | Exists(Comment.objects.filter(case=OuterRef("pk"), author=person))
        | Exists(Attachment.objects.filter(case=OuterRef("pk"), uploaded_by=person))
    )


def _versions_read_by_role(*, entity_id: int, roles: set[str]) -> list[int]:
    """Procedure versions (old ones too: a case keeps its version) whose readers include one of `roles`."""
    if not roles:
        return []
    versions = _entity_versions(entity_id)
    index = _role_index(_current(versions))
    return [pk for pk, sha, _ in versions if _access(pk, sha, index).readers & roles]


def case_may_read(*, person: Person, case: Case, roles: set[str] | None = None) -> bool:
    return (
        person.entity_id == case.entity_id
        and cases_readable(person=person, roles=roles).filter(pk=case.pk).exists()
    )


def case_may_manage(*, person: Person, case: Case, roles: set[str] | None = None) -> bool:
    """
    Suspend, resume and cancel belong to who owns the procedure's outcome: the owner (head of the owning
    unit, or whoever stands in for them) and RACI "A"; the requester too, while nobody else has done any
    work on the case (withdrawing a request is theirs, stopping work in progress is not).
    """
    if person.entity_id != case.entity_id:
        return False
    if _is_admin(person):
        return True
    roles = person_role_codes(person=person, entity=person.entity) if roles is None else roles
    if roles & procedure_access(version=case.procedure_version).managers:
        return True
    if case.requester_id != person.pk:
        return False
    others_work = case.tasks.filter(status=CaseTask.Status.COMPLETED).exclude(completed_by=person)
    return not others_work.exists()


# --- records and attachments ------------------------------------------------------------------------------


def attachment_may_read(*, attachment: Attachment, person: Person, roles: set[str]) -> bool:
    """As a record (selectors.case_records_visible); whoever uploaded the file keeps it too."""
    return (
        not attachment.restricted_to
        or attachment.uploaded_by_id == person.pk
        or bool(roles & set(attachment.restricted_to))
    )


def attachments_readable(*, case: Case, person: Person, roles: set[str]) -> list[Attachment]:
    rows = case.attachments.select_related("uploaded_by", "task").order_by("created_at")
    return [a for a in rows if attachment_may_read(attachment=a, person=person, roles=roles)]


def attachment_for_download(*, case: Case, person: Person, attachment_id: int) -> Attachment:
    """An attachment of a case the person reads; one they may not download is a 404, as if absent."""
    attachment = case.attachments.filter(pk=attachment_id).first()
    roles = person_role_codes(person=person, entity=case.entity)
    if attachment is None or not attachment_may_read(attachment=attachment, person=person, roles=roles):
        raise NotFoundError("No existe ese adjunto.")
    return attachment
