"""
Who may register a case on someone else's behalf, and so stand in for an outside requester: the one rule the
start service, the performers rule and the start form share (docs/permissions.md, "Registrar a nombre de
otra persona"; docs/decisions/0028-register-on-behalf.md).

The holders of a role that works the procedure after its first activities: the office that receives the
requests (Senace's Especialista de Mesa de ayuda, the OTI's specialists). The roles that only start the
procedure are the requesting side (Senace's "Servidor", MINDEF's "Personal del MINDEF"): they ask for
themselves, and a generic role held by every employee must not let anyone file in a colleague's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import REQUESTER
from mapro.catalogue.models import ProcedureVersion


def registering_roles(definition: Definition) -> frozenset[str]:
    """The roles of every activity after the first ones (lane role and co-roles), the requester's aside."""
    starts = set(definition.start_activities())
    return frozenset(
        role
        for activity in definition.activities
        if activity.n not in starts
        for role in (activity.role, *activity.co_roles)
        if role and role != REQUESTER
    )


def may_register_on_behalf(*, definition: Definition, roles: Iterable[str]) -> bool:
    return bool(registering_roles(definition) & set(roles))


def version_registering_roles(version: ProcedureVersion) -> frozenset[str]:
    return _registering_roles_of(version.pk, version.source_sha256)


def versions_registered_by_roles(*, entity_id: int, roles: Iterable[str]) -> list[int]:
    """Procedure versions of the entity (old ones too) in which one of `roles` may register on behalf."""
    roles = frozenset(roles)
    if not roles:
        return []
    rows = ProcedureVersion.objects.filter(entity_id=entity_id).values_list("pk", "source_sha256")
    return [pk for pk, sha in rows if _registering_roles_of(pk, sha) & roles]


@lru_cache(maxsize=512)
def _registering_roles_of(version_pk: int, sha256: str) -> frozenset[str]:
    from .selectors import definition_of  # selectors imports performers, which imports this module

    return registering_roles(definition_of(version_pk, sha256))
