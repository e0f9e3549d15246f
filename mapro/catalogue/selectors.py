"""Reads of the procedure catalogue held in the repository's procedures/ folder."""

from functools import cache
from pathlib import Path

from django.conf import settings

from mapro.core.errors import ApplicationError

from .definition import Catalogue, LoadedDefinition, load_catalogue


class ProcedureNotFoundError(ApplicationError):
    def __init__(self, code: str) -> None:
        super().__init__(f"No existe el procedimiento {code} en el catálogo.")
        self.code = code


@cache
def catalogue_from_repository() -> Catalogue:
    """The repository catalogue, read once per process (definition files change only with a deploy)."""
    return load_catalogue([Path(settings.PROCEDURES_DIR)])


def procedure_get(*, code: str) -> LoadedDefinition:
    catalogue = catalogue_from_repository()
    try:
        return catalogue.definitions[code]
    except KeyError:
        raise ProcedureNotFoundError(code) from None
