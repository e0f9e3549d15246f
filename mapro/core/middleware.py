"""
Requests with a NUL character in the URL path, the query string or a web form field are refused with 400
before any view runs (the web pages and the API: the API's JSON bodies are checked by its parser).

PostgreSQL cannot store or even compare a text with NUL (psycopg raises ValueError: a 500), and no
legitimate input of mapro has one. JSON bodies are checked by the API's parser (api/parsers.py), which
names the field inside the body.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MESSAGE = "Contiene un carácter no admitido (NUL)."


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = nul_fields(request)
        if not fields:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            errors = {field: [MESSAGE] for field in fields}
            return JsonResponse({"detail": "Datos inválidos.", "field_errors": errors}, status=400)
        raise BadRequest(f"Solicitud rechazada: {', '.join(fields)}: {MESSAGE}")


def nul_fields(request: HttpRequest) -> list[str]:
    """Where a NUL is: `url`, a query parameter's name, a web form field's name, or a file's field name."""
    found = []
    if NUL in request.path_info or NUL in request.path:
        found.append("url")
    found += _in(request.GET.lists())
    # The API's bodies are JSON (its parser checks them); reading a form here would consume the stream and
    # the API would see an empty body instead of answering 415.
    is_api = request.path_info.startswith("/api/")
    if request.method == "POST" and request.content_type in FORM_TYPES and not is_api:
        found += _in(request.POST.lists())
        found += [_shown(name) for name, files in request.FILES.lists() if any(NUL in f.name for f in files)]
    return found


def _in(items) -> list[str]:
    return [_shown(key) for key, values in items if NUL in key or any(NUL in v for v in values)]


def _shown(name: str) -> str:
    return name[:100].replace(NUL, "\\0")
