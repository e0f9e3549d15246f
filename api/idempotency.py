"""
`Idempotency-Key` on the API's non-repeatable actions (case start, task completion): a client whose answer
was lost retries with the same key and gets the original answer instead of acting twice.

How (docs/decisions/0011-idempotency-and-input-limits.md):
- The key is claimed by inserting its row first, in one transaction that wraps the service call and ends
  with the answer written in the same row: "answered" implies "stored" (a crash before COMMIT leaves
  neither the change nor the key). A concurrent request with the same key waits on that row (PostgreSQL:
  the unique index; SQLite: the write lock) and then replays the answer.
- Only 2xx answers are stored. A 4xx changed nothing (a refusal's audit event is kept, committed by the
  same transaction), so the key stays free and a retry is evaluated again: it may now succeed, or say
  who completed the task meanwhile.
- The same key with another method, path or body is refused with 422.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from mapro.core.errors import ApplicationError, InvalidInputError
from mapro.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII: a UUID, a ULID, an integration's own id


class IdempotencyKeyReusedError(ApplicationError):
    status_code = 422


def idempotent(request: Request, action: Callable[[], Response]) -> HttpResponse:
    """Run `action` once per (user, Idempotency-Key); without the header, simply run it."""
    key = request.headers.get(HEADER)
    if key is None:
        return action()
    if not KEY_FORMAT.fullmatch(key):
        message = "Debe tener de 1 a 255 caracteres ASCII visibles (sin espacios), por ejemplo un UUID."
        raise InvalidInputError({HEADER: [message]})
    fingerprint = _fingerprint(request)
    stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
    if stored is not None:
        return _replay(stored, fingerprint)

    refusal: ApplicationError | None = None
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint, status_code=0, response=""
                )
        except IntegrityError:  # a concurrent request with this key committed first (we waited for it)
            return _replay(IdempotencyKey.objects.get(user=request.user, key=key), fingerprint)
        try:
            response = action()
        except ApplicationError as exc:
            refusal, response = exc, None
        if response is not None and 200 <= response.status_code < 300:
            claim.status_code = response.status_code
            claim.response = JSONRenderer().render(response.data).decode()
            claim.save(update_fields=["status_code", "response"])
        else:
            claim.delete()
    if refusal is not None:
        raise refusal
    return response


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReusedError(
            "Esta Idempotency-Key ya se usó con otra solicitud (otra ruta o cuerpo); use una clave nueva."
        )
    replay = HttpResponse(stored.response, status=stored.status_code, content_type="application/json")
    replay[REPLAYED_HEADER] = "true"
    return replay
