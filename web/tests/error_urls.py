"""The application's URLs plus views that fail on purpose, web and API, for the error page tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def bad_request(request: HttpRequest) -> HttpResponse:
    raise BadRequest("El texto contiene un carácter NUL.")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("rol secreto: responsable_plataforma_correo")


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def read_form(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(len(request.POST)))


urlpatterns = [
    *[path(f"{prefix}falla/400/", bad_request) for prefix in ("", "api/v1/")],
    *[path(f"{prefix}falla/403/", forbidden) for prefix in ("", "api/v1/")],
    *[path(f"{prefix}falla/500/", crash) for prefix in ("", "api/v1/")],
    *[path(f"{prefix}falla/formulario/", read_form) for prefix in ("", "api/v1/")],
    *urlpatterns,
]
