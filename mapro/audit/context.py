"""Who is acting in the current request, for audit events recorded far from the view (signals)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

current_user: ContextVar[Any] = ContextVar("mapro_audit_user", default=None)


class AuditUserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_user.set(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            current_user.reset(token)


def current_actor() -> tuple[Any, str]:
    """(Person or None, label) of the signed-in user, or (None, 'sistema') outside a request."""
    user = current_user.get()
    if user is None or not getattr(user, "is_authenticated", False):
        return None, "sistema"
    person = getattr(user, "person", None)
    return person, str(person) if person else user.get_username()
