"""Due times in America/Lima, coloured by urgency, and small helpers for generated forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from mapro.cases.due import DueStatus

from ..selectors import case_subject as _case_subject
from ..selectors import urgency

register = template.Library()

URGENCY_LABELS = {"overdue": "Vencida", "soon": "Por vencer", "ok": "En plazo", "none": "Sin plazo"}


def _span(delta: dt.timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days = hours // 24
    return f"{days} día{'s' if days != 1 else ''}"


@register.simple_tag
def due(due_at: dt.datetime | None, done: bool = False) -> str:
    """A badge: 'Vencida hace 3 h · 24/07/2026 10:00' in red, amber within 24 hours, green later."""
    return _due_badge(due_at, title="Hora de Lima")


@register.simple_tag
def due_status(status: DueStatus | None) -> str:
    """The badge of a case's or task's due status (mapro.cases.due), naming its rule on hover."""
    title = "Hora de Lima"
    if status is None:
        return _due_badge(None, title=title)
    if status.rule:
        whose = "Plazo del expediente" if status.case_wide else f"Plazo de la actividad {status.activity}"
        title = f"{whose}: {status.rule} (hora de Lima)"
    return _due_badge(status.due_at, title=title)


def _due_badge(due_at: dt.datetime | None, *, title: str) -> str:
    if due_at is None:
        return mark_safe('<span class="due due--none">Sin plazo</span>')
    now = timezone.now()
    level = urgency(due_at, now=now)
    local = timezone.localtime(due_at)
    when = local.strftime("%d/%m/%Y %H:%M")
    text = f"Vencida hace {_span(now - due_at)}" if level == "overdue" else f"Vence en {_span(due_at - now)}"
    return format_html(
        '<span class="due due--{}" title="{}"><strong>{}</strong> · <time datetime="{}">{}</time></span>',
        level,
        title,
        text,
        local.isoformat(),
        when,
    )


@register.filter
def case_subject(case: Any) -> str:
    """What the case is about (its subject, else its procedure's name)."""
    return _case_subject(case)


@register.filter
def urgency_class(due_at: dt.datetime | None) -> str:
    return f"urgency--{urgency(due_at)}"


@register.filter
def lima(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.filter
def is_selected(value: Any, choice: str) -> bool:
    if isinstance(value, list):
        return choice in value
    return value == choice


@register.filter
def bool_value(value: Any) -> str:
    if value is True:
        return "sí"
    if value is False:
        return "no"
    return value or ""


UNIT_LABELS = {
    "clock_hours": "horas",
    "working_hours": "horas hábiles",
    "calendar_days": "días calendario",
    "working_days": "días hábiles",
    "months": "meses",
    "years": "años",
}


@register.filter
def unit_label(unit: Any) -> str:
    return UNIT_LABELS.get(str(unit), str(unit))
