"""
The error pages (settings: handler400/403/404/500 in config/urls.py, CSRF_FAILURE_VIEW, and the 413 of
web.middleware): Spanish pages in the product's layout, and for /api/ paths the API's error body
`{"detail": "..."}` (api/exception_handler.py), so a client never parses Django's HTML.
"""

from __future__ import annotations

import logging

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

API_PREFIX = "/api/"

# status: (page title, what the person reads, the API's detail)
MESSAGES: dict[int, tuple[str, str, str]] = {
    400: (
        "Solicitud no válida",
        "La solicitud no se pudo procesar: contiene datos no válidos. Vuelva a la página anterior, revise "
        "lo ingresado e inténtelo de nuevo.",
        "La solicitud no es válida.",
    ),
    403: (
        "Acceso denegado",
        "No tiene permiso para ver esta página o hacer esta acción.",
        "No tiene permiso para realizar esta acción.",
    ),
    404: (
        "Página no encontrada",
        "La página que busca no existe o no está disponible para usted. Revise la dirección o vuelva a "
        "Mi bandeja.",
        "No encontrado.",
    ),
    413: (
        "Archivo demasiado grande",
        "Lo que envió supera el tamaño permitido: cada adjunto puede tener hasta 25 MB; adjunte los "
        "archivos grandes de uno en uno.",
        "La solicitud supera el tamaño máximo permitido (un adjunto puede tener hasta 25 MB).",
    ),
    500: (
        "Error del servidor",
        "Ocurrió un error inesperado y quedó registrado. Su última acción pudo no haberse guardado: "
        "revise el expediente antes de repetirla.",
        "Error interno del servidor.",
    ),
}
CSRF_MESSAGE = (
    "El formulario caducó o se abrió desde otra página. Recargue la página e inténtelo de nuevo; si el "
    "problema continúa, cierre sesión e ingrese otra vez."
)

log = logging.getLogger(__name__)


def is_api(request: HttpRequest | None) -> bool:
    return request is not None and request.path_info.startswith(API_PREFIX)


def error_response(request: HttpRequest | None, status: int, message: str | None = None) -> HttpResponse:
    """The page or the API body for `status`; `message` replaces the default text (for the person only)."""
    title, text, detail = MESSAGES[status]
    if is_api(request):
        return JsonResponse({"detail": message or detail}, status=status)
    context = {"status": status, "title": title, "message": message or text}
    if status == 500:
        # Without the request: no context processor, no database read, which may be what failed.
        body = render_to_string("web/errors/page.html", context)
    else:
        _show_the_signed_in_person(request)
        body = render_to_string("web/errors/page.html", context, request=request)
    return HttpResponse(body, status=status)


def _show_the_signed_in_person(request: HttpRequest | None) -> None:
    """The layout shows the menu and navigation for `request.person` (set by person_required views)."""
    user = getattr(request, "user", None)
    if request is not None and user is not None and user.is_authenticated and not hasattr(request, "person"):
        request.person = getattr(user, "person", None)  # type: ignore[attr-defined]


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: malformed input (BadRequest), a suspicious request, or a body over Django's limits."""
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request)
    # BadRequest messages are written for the client (Spanish); other SuspiciousOperation texts are not.
    message = str(exception) if isinstance(exception, BadRequest) and str(exception) else None
    return error_response(request, 400, message)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403; the exception's text is not shown (it may name roles or rules)."""
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: also for unmatched /api/ URLs."""
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500; Django has logged the traceback already."""
    return error_response(request, 500)


def request_too_large(request: HttpRequest) -> HttpResponse:
    return error_response(request, 413)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django's is an English page that explains the mechanism."""
    log.warning("CSRF refused: %s %s (%s)", request.method, request.path, reason)
    return error_response(request, 403, None if is_api(request) else CSRF_MESSAGE)
