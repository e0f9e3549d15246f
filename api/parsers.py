"""
The JSON parser of the API: a bounded body, a bounded nesting depth, and no NUL character anywhere.

DRF's JSONParser lets Python's recursive decoder fail with RecursionError on deep nesting (a 500) and hands
strings with NUL to the database (PostgreSQL refuses them: a 500). Here each is a 400 with the documented
error body, and a NUL names the field it was found in. The size is bounded before this parser runs: DRF
reads JSON through `request.body`, which Django refuses beyond DATA_UPLOAD_MAX_MEMORY_SIZE (a 413 from
api/exception_handler.py).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from mapro.core.errors import InvalidInputError

MAX_DEPTH = 16  # a record's table cell is 5 levels deep (body, data, record, rows, row)
NUL = "\x00"
NUL_MESSAGE = "Contiene un carácter no admitido (NUL)."


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_no_constant)
        except RecursionError:
            raise ParseError(f"JSON anidado a más de {MAX_DEPTH} niveles.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON mal formado: {exc}") from None
        check_json(data)
        return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} no es un valor JSON")


def check_json(data: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH and NUL in any key or string, naming where (iterative)."""
    nul: dict[str, list[str]] = {}
    pending: list[tuple[Any, str, int]] = [(data, "", 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON anidado a más de {MAX_DEPTH} niveles.")
        if isinstance(value, str):
            if NUL in value:
                nul[path or "body"] = [NUL_MESSAGE]
        elif isinstance(value, dict):
            for key, item in value.items():
                shown = key[:100].replace(NUL, "\\0")
                if NUL in key:
                    nul[f"{path}.{shown}" if path else shown] = [NUL_MESSAGE]
                pending.append((item, f"{path}.{shown}" if path else shown, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
    if nul:
        raise InvalidInputError({_as_services_name(path): messages for path, messages in nul.items()})


def _as_services_name(path: str) -> str:
    """Start inputs and record data are named as the services name them: `cuenta_correo`, `acta.ruta`."""
    for container in ("inputs.", "data."):
        if path.startswith(container):
            return path.removeprefix(container)
    return path
