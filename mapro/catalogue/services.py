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
from .definition.validation import call_cycle_errors
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
    errors = catalogue.errors or _errors_against_database(catalogue)
    if errors:
        raise CatalogueInvalidError("\n".join(map(str, errors)))
    created, unchanged = [], []
    for code, loaded in sorted(catalogue.definitions.items()):
        if procedure_version_load(loaded=loaded) is None:
            unchanged.append(code)
        else:
            created.append(code)
    return LoadReport(created=created, unchanged=unchanged)


def _errors_against_database(catalogue: Catalogue) -> list:
    """
    What a catalogue validated alone cannot see: a call to a procedure that is neither in it nor loaded, and
    a cycle of calls that closes through loaded procedures (a case start would recurse for ever).
    """
    # Read from the stored JSON, not re-validated: a version loaded under older rules is still what it is.
    stored = ProcedureVersion.objects.filter(is_current=True).exclude(code__in=catalogue.definitions)
    loaded_calls = {
        code: {a["call"]["procedure"] for a in definition["activities"] if a.get("call")}
        for code, definition in stored.values_list("code", "definition")
    }
    errors = []
    for item in catalogue.definitions.values():
        for i, activity in enumerate(item.definition.activities):
            code = activity.call.procedure if activity.call else None
            if code is not None and code not in catalogue.definitions and code not in loaded_calls:
                loc = ("activities", i, "call", "procedure")
                errors.append(item.source.error(loc, f"llamada a un procedimiento no cargado: {code}"))
    errors.extend(error for _, error in call_cycle_errors(catalogue.definitions.values(), loaded_calls))
    return errors


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
