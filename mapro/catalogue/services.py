"""
Loading the repository catalogue into the database as immutable procedure versions.

Loading is idempotent: an unchanged file is skipped, a changed file becomes a new revision that new cases
use, while running cases keep the revision they started with. The units and roles a ficha declares are
created for its entity, so people can be given those roles in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from mapro.audit.services import audit_event_record
from mapro.organization.models import Entity, Role, Unit

from .compiler import compile_bpmn
from .definition import Catalogue, LoadedDefinition
from .models import ProcedureVersion
from .selectors import catalogue_from_repository

ENTITY_NAMES = {
    "MVCS": "Ministerio de Vivienda, Construcción y Saneamiento",
    "SENACE": "Servicio Nacional de Certificación Ambiental para las Inversiones Sostenibles",
    "MINCETUR": "Ministerio de Comercio Exterior y Turismo",
    "MINDEF": "Ministerio de Defensa",
}


class CatalogueInvalidError(Exception):
    pass


@dataclass(frozen=True)
class LoadReport:
    created: list[str]
    unchanged: list[str]


def entity_get_or_create(*, code: str) -> Entity:
    entity, _ = Entity.objects.get_or_create(code=code, defaults={"name": ENTITY_NAMES.get(code, code)})
    return entity


@transaction.atomic
def procedure_versions_load(*, catalogue: Catalogue | None = None) -> LoadReport:
    """Store every valid definition of the catalogue; nothing at all is loaded if any file is invalid."""
    catalogue = catalogue or catalogue_from_repository()
    if catalogue.errors:
        raise CatalogueInvalidError("\n".join(map(str, catalogue.errors)))
    created, unchanged = [], []
    for code, loaded in sorted(catalogue.definitions.items()):
        if procedure_version_load(loaded=loaded) is None:
            unchanged.append(code)
        else:
            created.append(code)
    return LoadReport(created=created, unchanged=unchanged)


def procedure_version_load(*, loaded: LoadedDefinition) -> ProcedureVersion | None:
    """The new revision of one definition, or None when the stored current one has the same source."""
    definition = loaded.definition
    entity = entity_get_or_create(code=definition.entity.value)
    _organisation_sync(entity=entity, loaded=loaded)
    current = ProcedureVersion.objects.filter(code=definition.code, is_current=True).first()
    if current is not None and current.source_sha256 == loaded.source.sha256:
        return None
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current", "updated_at"])
    version = ProcedureVersion.objects.create(
        code=definition.code,
        entity=entity,
        name=definition.name,
        version=definition.version,
        revision=(current.revision + 1) if current else 1,
        source_path=str(loaded.source.path.name),
        source_sha256=loaded.source.sha256,
        source_text=loaded.source.text,
        definition=definition.model_dump(mode="json"),
        bpmn_xml=compile_bpmn(definition),
        is_current=True,
    )
    audit_event_record(
        chain=entity.code,
        action="procedure.loaded",
        obj=version,
        summary=f"Carga de {version}",
        after={"code": version.code, "version": version.version, "revision": version.revision},
    )
    return version


def _organisation_sync(*, entity: Entity, loaded: LoadedDefinition) -> None:
    definition = loaded.definition
    for unit in definition.units:
        Unit.objects.get_or_create(
            entity=entity, code=unit.id, defaults={"name": unit.name, "acronym": unit.acronym or ""}
        )
    for role in definition.roles:
        Role.objects.get_or_create(entity=entity, code=role.id, defaults={"name": role.name})
