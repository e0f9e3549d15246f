"""One place where domain errors become HTTP responses (services never raise HTTP errors)."""

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mapro.core.errors import ApplicationError, InvalidInputError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidInputError):
        return Response({"detail": exc.message, "field_errors": exc.field_errors}, status=400)
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message}, status=exc.status_code)
    return drf_exception_handler(exc, context)
