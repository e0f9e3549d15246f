"""
Reading definition files: YAML, then the pydantic schema, with line numbers for every error.

Data is read with libyaml (PyYAML's C loader, restricted to YAML 1.2 scalars so `NO` stays a string);
only when a file has an error is it read again with ruamel.yaml's round-trip loader, which keeps the line of
every key and item, so the error can name file, line and field. The round trip is twenty times slower,
and a valid catalogue never needs it.

Before either, the file is screened (`_screen`): its size, its characters, and one pass over libyaml's event
stream that refuses anchors and aliases (a 2 MB file of aliases expands to gigabytes), keys given twice
(YAML keeps the last one silently), nesting deeper than any ficha needs (Python's recursion limit would
end the later stages with a traceback) and numbers too long to be a count. The stream is read without
recursion, so no input can exhaust the stack there. Limits: docs/decisions/0010-definition-limits.md.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
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

MAX_FILE_BYTES = 1_000_000  # the largest catalogue file has 85 KB
MAX_DEPTH = 20  # nested mappings and lists; the deepest catalogue file has 9
MAX_NUMBER_DIGITS = 15  # a count, a line or a term never needs more
# Control characters (PostgreSQL refuses NUL in text; the others are invisible or garble a terminal), the
# non-characters libyaml refuses, and the invisible format characters (zero-width spaces and joiners,
# bidirectional overrides): a name that looks like another, or like nothing, is refused.
_RAW_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_NUMBER = re.compile(
    r"^[-+]?(?:[0-9]+|\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$"
)  # as _Yaml12Loader reads
# Tags a definition may carry explicitly: the core schema's own; never !!binary, !!set, !!python/…
_ALLOWED_TAGS = {
    None,
    "!",
    *(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")),
}


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
        try:
            return _round_trip().load(self.text)
        except Exception:  # libyaml read the file; without ruamel's lines, errors say line 1
            return None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def line_of(self, loc: Loc) -> int:
        """1-based line of the deepest part of `loc` present in the file."""
        node, line = self.tree, 1
        if node is None:
            return 1
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


def _round_trip() -> YAML:
    yaml_rt = YAML(typ="rt")
    yaml_rt.allow_duplicate_keys = True  # refused by _screen already; never a traceback here
    return yaml_rt


def parse(path: Path) -> SourceFile | DefinitionError:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return DefinitionError(path, 0, "", f"no se puede leer el archivo: {exc.strerror}")
    if len(raw) > MAX_FILE_BYTES:
        return DefinitionError(
            path, 1, "", f"el archivo supera el máximo de {MAX_FILE_BYTES:,} bytes".replace(",", ".")
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return DefinitionError(path, line, "", "el archivo no está en UTF-8 (byte inválido en esta línea)")
    problem = _screen(path, text)
    if problem is not None:
        return problem
    try:
        data = yaml.load(text, Loader=_Yaml12Loader)
    except (yaml.YAMLError, ValueError) as exc:
        return _syntax_error(path, text, exc)
    if not isinstance(data, dict):
        return DefinitionError(path, 1, "", "el archivo debe contener un mapeo YAML (clave: valor)")
    return SourceFile(path=path, text=text, data=data)


# The parsers' usual complaints, in Spanish (matched on the start of the English text; others are kept).
YAML_PROBLEMS = (
    (
        "mapping values are not allowed",
        "no se admite 'clave: valor' aquí (¿sobran dos puntos o falta sangría?)",
    ),
    ("found character that cannot start any token", "carácter que no puede iniciar un valor"),
    ("found a tab character", "tabulador en la sangría: use espacios"),
    ("expected <block end>", "sangría incorrecta"),
    ("expected <block mapping start>", "sangría incorrecta"),
    ("could not find expected ':'", "falta ':' después de la clave"),
    ("found unexpected end of stream", "el archivo termina antes de tiempo (¿comillas sin cerrar?)"),
    ("found unexpected ':'", "':' inesperado"),
    ("expected ',' or ']'", "falta ',' o ']' en la lista"),
    ("expected ',' or '}'", "falta ',' o '}' en el mapeo"),
    ("expected a single document", "el archivo debe tener un solo documento YAML"),
    ("but found another document", "el archivo debe tener un solo documento YAML"),
    ("found unhashable key", "una clave no puede ser una lista ni un mapeo"),
    ("found unknown escape character", "secuencia de escape desconocida"),
    ("expected escape sequence", "secuencia de escape no válida"),
    ("did not find expected key", "falta una clave o sobra sangría"),
    ("did not find expected node content", "falta un valor"),
    ("did not find expected '-' indicator", "sangría incorrecta en la lista"),
    ("did not find expected comment or line break", "texto inesperado al final de la línea"),
    ("found undefined tag handle", "etiqueta YAML no permitida"),
    ("could not find expected", "falta un cierre"),
)


def _in_spanish(problem: str) -> str:
    return next((spanish for english, spanish in YAML_PROBLEMS if problem.startswith(english)), problem)


def _syntax_error(path: Path, text: str, exc: Exception) -> DefinitionError:
    """The YAML error as ruamel words and places it, or else as libyaml did."""
    try:
        _round_trip().load(text)
    except MarkedYAMLError as rt_exc:
        mark = rt_exc.problem_mark or rt_exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = _in_spanish(rt_exc.problem or rt_exc.context or "")
        return DefinitionError(path, line, "", f"YAML inválido: {problem}")
    except Exception:  # ruamel failed otherwise: libyaml's own mark follows
        pass
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "estructura no válida"
    return DefinitionError(path, mark.line + 1 if mark else 1, "", f"YAML inválido: {_in_spanish(problem)}")


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _char_problem(value: str) -> str | None:
    """Why a text cannot be part of a definition, or None."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\t\n\r":
            return f"carácter de control no permitido (U+{ord(char):04X})"
        if category in ("Cf", "Cs", "Co") or char in "\ufffe\uffff":
            return f"carácter invisible o no imprimible no permitido (U+{ord(char):04X})"
    return None


class _Frame:
    """A mapping or list being read: the keys seen (with their lines) and where the reading is."""

    __slots__ = ("expects_key", "is_map", "keys", "part")

    def __init__(self, *, is_map: bool) -> None:
        self.is_map = is_map
        self.keys: dict[str, int] = {}
        self.expects_key = is_map
        self.part: str | int | None = None if is_map else 0

    def node_done(self) -> None:
        if self.is_map:
            self.expects_key = not self.expects_key
        else:
            self.part += 1


def _screen(path: Path, text: str) -> DefinitionError | None:
    """The first thing in `text` no definition may hold, as an error with its line and field; or None."""
    raw = _RAW_FORBIDDEN.search(text)
    raw_error = None
    if raw is not None:  # libyaml refuses to read on: find the field in a copy without such characters
        message = f"carácter de control no permitido (U+{ord(raw.group()):04X})"
        raw_error = DefinitionError(path, _line_at(text, raw.start()), "", message)
        text = _RAW_FORBIDDEN.sub(" ", text)
    frames: list[_Frame] = []

    def fail(event: Any, message: str) -> DefinitionError:
        loc = tuple(f.part for f in frames if f.part is not None)
        return DefinitionError(path, event.start_mark.line + 1, format_loc(loc), message)

    try:
        for event in yaml.parse(text, Loader=_Yaml12Loader):
            if isinstance(event, yaml.AliasEvent):
                return fail(event, f"no se admiten alias YAML (*{event.anchor}): escriba el valor")
            if getattr(event, "anchor", None):
                return fail(event, f"no se admiten anclas YAML (&{event.anchor}): escriba el valor")
            if getattr(event, "tag", None) not in _ALLOWED_TAGS:
                return fail(event, f"etiqueta YAML no permitida: {event.tag}")
            if isinstance(event, yaml.ScalarEvent):
                if raw_error is not None and event.start_mark.index <= raw.start() < event.end_mark.index:
                    return fail(event, raw_error.message)
                problem = _scalar_problem(event, frames)
                if problem is not None:
                    return fail(event, problem)
                if frames:
                    frames[-1].node_done()
            elif isinstance(event, yaml.CollectionStartEvent):
                if frames and frames[-1].expects_key:
                    frames[-1].part = None  # a mapping or list used as a key: the schema refuses it
                frames.append(_Frame(is_map=isinstance(event, yaml.MappingStartEvent)))
                if len(frames) > MAX_DEPTH:
                    return fail(event, f"anidamiento de más de {MAX_DEPTH} niveles")
            elif isinstance(event, yaml.CollectionEndEvent):
                frames.pop()
                if frames:
                    frames[-1].node_done()
    except yaml.YAMLError as exc:
        if raw_error is not None:
            return raw_error
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and "nesting depth" in str(getattr(exc, "problem", "")):
            # libyaml's own limit on flow nesting ([[[[…), met before the parser gives a single event
            loc = tuple(f.part for f in frames if f.part is not None)
            return DefinitionError(
                path, mark.line + 1, format_loc(loc), f"anidamiento de más de {MAX_DEPTH} niveles"
            )
        return _syntax_error(path, text, exc)
    return raw_error


def _scalar_problem(event: yaml.ScalarEvent, frames: list[_Frame]) -> str | None:
    value = event.value
    problem = _char_problem(value)
    if problem is not None:
        return problem
    plain = event.implicit[0]
    if plain and _NUMBER.match(value) and sum(c.isdigit() for c in value) > MAX_NUMBER_DIGITS:
        return f"número demasiado grande: {value[:20]}…"
    if frames and frames[-1].expects_key:
        top = frames[-1]
        top.part = value
        if value in top.keys:
            return f"clave repetida: '{value}' ya aparece en la línea {top.keys[value]}"
        top.keys[value] = event.start_mark.line + 1
    return None


# pydantic's messages, in the language of the people who write the fichas (context keys in braces).
MESSAGES = {
    "extra_forbidden": "campo desconocido",
    "missing": "campo obligatorio ausente",
    "int_type": "debe ser un número entero",
    "int_parsing": "debe ser un número entero",
    "int_from_float": "debe ser un número entero",
    "int_parsing_size": "número demasiado grande",
    "finite_number": "debe ser un número finito",
    "string_type": "debe ser un texto",
    "string_too_short": "no puede estar vacío",
    "string_too_long": "admite como máximo {max_length} caracteres",
    "string_pattern_mismatch": "formato no válido (debe cumplir {pattern})",
    "greater_than_equal": "debe ser mayor o igual que {ge}",
    "less_than_equal": "debe ser menor o igual que {le}",
    "too_short": "debe tener al menos {min_length} elemento(s)",
    "too_long": "admite como máximo {max_length} elementos",
    "bool_type": "debe ser true o false",
    "bool_parsing": "debe ser true o false",
    "enum": "valor no válido: use {expected}",
    "literal_error": "valor no válido: use {expected}",
    "list_type": "debe ser una lista",
    "tuple_type": "debe ser una lista",
    "dict_type": "debe ser un mapeo (clave: valor)",
    "model_type": "debe ser un mapeo (clave: valor)",
    "model_attributes_type": "debe ser un mapeo (clave: valor)",
    "date_type": "debe ser una fecha AAAA-MM-DD",
    "date_parsing": "debe ser una fecha AAAA-MM-DD",
    "date_from_datetime_parsing": "debe ser una fecha AAAA-MM-DD",
    "date_from_datetime_inexact": "debe ser una fecha AAAA-MM-DD",
    "date_past": "debe ser una fecha AAAA-MM-DD",
    "union_tag_invalid": "valor no válido",
}


def schema_errors(source: SourceFile, exc: ValidationError) -> list[DefinitionError]:
    errors = []
    for item in exc.errors(include_url=False):
        loc = _data_path(source.data if source.tree is None else source.tree, item["loc"])
        errors.append(source.error(loc, _message(item)))
    return errors


def _message(item: Any) -> str:
    template = MESSAGES.get(item["type"])
    if template is None:
        return item["msg"].removeprefix("Value error, ")
    context = {key: str(value).replace(" or ", " o ") for key, value in (item.get("ctx") or {}).items()}
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return template.split(":")[0]


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
