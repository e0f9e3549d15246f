"""Response headers and request limits that Django's SecurityMiddleware does not cover."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .views.errors import request_too_large


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header (settings.PERMISSIONS_POLICY) on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """
    413 for a request whose declared body exceeds settings.REQUEST_MAX_BYTES, before anything reads it.

    Django bounds bodies without files (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to disk
    whatever their size; without this a 2 GB upload would be written out before the 25 MB rule refuses it.
    A body without Content-Length is not read by Django at all (WSGI), so the header is the whole story.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            return request_too_large(request)
        return self.get_response(request)
