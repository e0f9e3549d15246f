"""What every view needs: the signed-in person, and domain errors turned into Spanish messages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mapro.core.errors import ApplicationError, InvalidInputError
from mapro.organization.models import Person

from ..forms.fields import FieldSpec


def person_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and linked to a person of an entity; `request.person` is that person."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = getattr(request.user, "person", None)
        if person is None:
            return render(request, "web/auth/no_person.html", status=403)
        request.person = person  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            # A domain refusal the view did not expect (the task was completed meanwhile, the case closed):
            # its Spanish message, as a page, or as a fragment for htmx to show in place.
            template = "web/partials/_error.html" if request.htmx else "web/error.html"
            return render(request, template, {"error": exc}, status=exc.status_code)

    return wrapper


def person_of(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


def errors_to_fields(exc: ApplicationError, specs: list[FieldSpec]) -> list[str]:
    """Put each field error of `exc` on its field; returns the messages that belong to no field."""
    if not isinstance(exc, InvalidInputError):
        return [exc.message]
    by_key = {spec.key: spec for spec in specs}
    loose = []
    for key, field_messages in exc.field_errors.items():
        spec = by_key.get(key)
        if spec is None:
            loose.extend(
                f"{key}: {m}" if key not in ("decision", "flow", "reason") else m for m in field_messages
            )
        else:
            spec.errors.extend(field_messages)
    if loose or not exc.field_errors:
        return loose or [exc.message]
    count = len(exc.field_errors)
    return [f"Revise {'el campo marcado' if count == 1 else f'los {count} campos marcados'}."]


def flash_error(request: HttpRequest, exc: ApplicationError) -> None:
    if isinstance(exc, InvalidInputError):
        for field_messages in exc.field_errors.values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.error(request, exc.message)
