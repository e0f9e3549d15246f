"""Procedure definition files: schema, loading with line numbers, catalogue-wide validation."""

from .loader import DefinitionError, LoadedDefinition, LoadedProcessMap
from .schema import Activity, ActivityKind, Definition, ProcessMap
from .validation import Catalogue, load_catalogue

__all__ = [
    "Activity",
    "ActivityKind",
    "Catalogue",
    "Definition",
    "DefinitionError",
    "LoadedDefinition",
    "LoadedProcessMap",
    "ProcessMap",
    "load_catalogue",
]
