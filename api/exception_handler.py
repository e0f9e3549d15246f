"""
One place where errors become HTTP responses (services never raise HTTP errors). Every error answers the
documented body (serializers.ErrorOut): `{"detail": "…"}`, plus `field_errors` for invalid data.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mapro.core.errors import ApplicationError, InvalidInputError

INVALID = "Datos inválidos."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidInputError):
        return Response({"detail": exc.message, "field_errors": exc.field_errors}, status=400)
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):  # DRF reads JSON through request.body, which checks the size
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response({"detail": f"El cuerpo de la solicitud supera {limit:,} bytes."}, status=413)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's handler500 answers (JSON under /api/)
    if isinstance(exc, ValidationError):
        response.data = {"detail": INVALID, "field_errors": _field_errors(exc.detail)}
    elif not (isinstance(response.data, dict) and "detail" in response.data):
        response.data = {"detail": str(response.data)}
    return response


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """DRF's error tree made flat: a nested field (an item of a list, a key of an object) by its dotted
    path, as the services name them (`acta_control.fecha`, `procedure.0`)."""
    flat: dict[str, list[str]] = {}
    _flatten(detail if isinstance(detail, dict) else {"non_field_errors": detail}, "", flat)
    return flat


def _flatten(detail: Any, path: str, flat: dict[str, list[str]]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            _flatten(value, f"{path}.{key}" if path else str(key), flat)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            if item:  # DRF leaves {} for the items of a list that were valid
                _flatten(item, f"{path}.{index}", flat)
    else:
        flat.setdefault(path, []).extend(str(m) for m in (detail if isinstance(detail, list) else [detail]))
