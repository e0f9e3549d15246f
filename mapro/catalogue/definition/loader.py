"""
Reading definition files: YAML, then the pydantic schema, with line numbers for every error.

Data is read with libyaml (PyYAML's C loader, restricted to YAML 1.2 scalars so `NO` stays a string);
only when a file has an error is it read again with ruamel.yaml's round-trip loader, which keeps the line of
every key and item, so the error can name file, line and field. The round trip is twenty times slower,
and a valid catalogue never needs it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from .schema import Definition, ProcessMap

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class DefinitionError:
    path: Path
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{_display(self.path)}:{self.line}:{field} {self.message}"


def _display(path: Path) -> str:
    """The path relative to the working directory when it lies under it, as a person typed it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _Yaml12Loader(yaml.CSafeLoader):
    """libyaml with the YAML 1.2 core schema for booleans and numbers (YAML 1.1 reads `NO` as false)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":int", ":float"))]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    ("float", r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", "-+.0123456789"),
):
    _Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))


@dataclass(frozen=True)
class SourceFile:
    """A parsed YAML document and the means to find the line of any field in it."""

    path: Path
    text: str
    data: Any

    @cached_property
    def tree(self) -> Any:
        """The same document with the line of every key and item (read only when an error needs it)."""
        return YAML(typ="rt").load(self.text)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def line_of(self, loc: Loc) -> int:
        """1-based line of the deepest part of `loc` present in the file."""
        node, line = self.tree, 1
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        return line

    def error(self, loc: Loc, message: str) -> DefinitionError:
        return DefinitionError(self.path, self.line_of(loc), format_loc(loc), message)


@dataclass(frozen=True)
class LoadedDefinition:
    source: SourceFile
    definition: Definition


@dataclass(frozen=True)
class LoadedProcessMap:
    source: SourceFile
    process_map: ProcessMap


def format_loc(loc: Loc) -> str:
    """('activities', 3, 'role') -> 'activities[3].role'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def discover(paths: Sequence[Path]) -> list[Path]:
    """Definition files under `paths` (files are taken as given, folders searched for *.yaml)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
        else:
            found.append(path)
    return found


def parse(path: Path) -> SourceFile | DefinitionError:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return DefinitionError(path, 0, "", f"no se puede leer el archivo: {exc.strerror}")
    except UnicodeDecodeError:
        return DefinitionError(path, 0, "", "el archivo no está en UTF-8")
    try:
        data = yaml.load(text, Loader=_Yaml12Loader)
    except yaml.YAMLError:
        return _syntax_error(path, text)
    if not isinstance(data, dict):
        return DefinitionError(path, 1, "", "el archivo debe contener un mapeo YAML (clave: valor)")
    return SourceFile(path=path, text=text, data=data)


def _syntax_error(path: Path, text: str) -> DefinitionError:
    """The YAML error as ruamel words and places it."""
    try:
        YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        return DefinitionError(path, line, "", f"YAML inválido: {exc.problem or exc.context}")
    return DefinitionError(path, 0, "", "YAML inválido")


def schema_errors(source: SourceFile, exc: ValidationError) -> list[DefinitionError]:
    errors = []
    for item in exc.errors(include_url=False):
        loc = _data_path(source.tree, item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "campo desconocido"
        elif item["type"] == "missing":
            message = "campo obligatorio ausente"
        errors.append(source.error(loc, message))
    return errors


def _data_path(tree: Any, loc: tuple) -> Loc:
    """The part of a pydantic error location that indexes the data.

    pydantic inserts union members and validator names ('int', "literal['end']") into `loc`; a missing
    field is the one part that is kept although it is not in the data.
    """
    path: list[str | int] = []
    node = tree
    for part in loc:
        if (isinstance(node, dict) and part in node) or (isinstance(node, list) and isinstance(part, int)):
            path.append(part)
            node = node[part] if isinstance(node, dict) or part < len(node) else None
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier() and part.islower():
            path.append(part)  # a missing or misplaced key: name it
            break
    return tuple(path)


def load_file(path: Path) -> LoadedDefinition | LoadedProcessMap | list[DefinitionError]:
    """Parse one file and check it against the schema (not against the rest of the catalogue)."""
    source = parse(path)
    if isinstance(source, DefinitionError):
        return [source]
    data = source.data
    try:
        if data.get("kind") == "process_map":
            return LoadedProcessMap(source=source, process_map=ProcessMap.model_validate(data))
        return LoadedDefinition(source=source, definition=Definition.model_validate(data))
    except ValidationError as exc:
        return schema_errors(source, exc)
