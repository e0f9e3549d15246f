import pytest

from mapro.catalogue.definition import Catalogue
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.catalogue.services import procedure_versions_load
from mapro.organization.services import demo_people_create

from .support import PROCEDURES


@pytest.fixture(autouse=True)
def _catalogue(db) -> None:
    """The two procedures these tests use, and a demo person for each of their roles."""
    definitions = catalogue_from_repository().definitions
    procedure_versions_load(catalogue=Catalogue(definitions={code: definitions[code] for code in PROCEDURES}))
    demo_people_create()
