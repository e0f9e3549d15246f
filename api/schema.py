"""
The OpenAPI schema tells the truth about errors and inputs:
- every operation documents the error answers it can give (400, 401, 403, 404, 409, 413, 415, 422 as they
  apply), each with the ErrorOut body;
- input bodies that refuse unknown fields say so (`additionalProperties: false`), and texts that may not be
  blank say so (`minLength: 1` and a pattern that needs one non-space character).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from .serializers import ErrorOut, StrictInput

ERRORS = {
    400: "Datos inválidos: `field_errors` nombra cada campo rechazado (también los desconocidos).",
    401: "Sin credenciales o con un token inválido.",
    403: "La persona no puede realizar esta acción (el rechazo queda auditado).",
    404: "No existe, o es de otra entidad.",
    409: "El estado cambió: la tarea ya fue completada o asignada a otra persona, o el expediente no está "
    "abierto.",
    413: "El cuerpo de la solicitud es demasiado grande.",
    415: "El cuerpo no es JSON (o, para adjuntos, multipart/form-data).",
    422: "La Idempotency-Key ya se usó con otra solicitud (otra ruta o cuerpo).",
}
NOT_BLANK = r"^[^\x00]*\S[^\x00]*$"
NO_NUL = r"^[^\x00]*$"


class ErrorAwareAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in sorted(self._error_codes()):
            if str(code) not in responses:
                response = self._get_response_for_code(ErrorOut, str(code), direction=direction)
                response["description"] = ERRORS[code]
                responses[str(code)] = response
        return responses

    def _error_codes(self) -> set[int]:
        codes = {401, 403}
        if "{" in self.path:
            codes.add(404)
        if self.method == "POST":
            codes |= {400, 404, 409, 413, 415}
        codes |= set(getattr(self.view, "extra_error_codes", ()))
        return codes

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if isinstance(serializer, StrictInput) or (
            isinstance(serializer, type) and issubclass(serializer, StrictInput)
        ):
            schema["additionalProperties"] = False
            fields = serializer().fields if isinstance(serializer, type) else serializer.fields
            for name, field in fields.items():
                if isinstance(field, serializers.CharField) and not field.allow_blank:
                    schema["properties"][name].update(minLength=1, pattern=NOT_BLANK)
                elif isinstance(field, serializers.CharField):
                    schema["properties"][name]["pattern"] = NO_NUL
        return schema
