"""
Configuration changes (organisation, delegations, calendars) are audit events too, wherever they are
made (admin, shell, data loads): before/after of each saved or deleted row, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.forms.models import model_to_dict

from .context import current_actor
from .services import SYSTEM_CHAIN, audit_event_record

AUDITED = (
    "organization.Entity",
    "organization.Unit",
    "organization.Role",
    "organization.Person",
    "organization.RoleAssignment",
    "organization.Delegation",
    "deadlines.NonWorkingDay",
)


def _chain(instance: models.Model) -> str:
    """The entity whose chain records the change (system-wide rows go to the system chain)."""
    if instance._meta.label == "organization.Entity":
        return instance.code
    for path in ("entity.code", "role.entity.code"):
        value: Any = instance
        for attr in path.split("."):
            value = getattr(value, attr, None)
        if isinstance(value, str) and value:
            return value
    return SYSTEM_CHAIN


def _snapshot(instance: models.Model) -> dict[str, Any]:
    return model_to_dict(instance, exclude=["password"])


def remember_previous(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    previous = sender.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = _snapshot(previous) if previous else None


def record_save(sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any) -> None:
    after = _snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    _record(instance, "config.created" if created else "config.changed", before=before, after=after)


def record_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    _record(instance, "config.deleted", before=_snapshot(instance), after=None)


def _record(instance: models.Model, action: str, *, before: Any, after: Any) -> None:
    actor, label = current_actor()
    with transaction.atomic():
        audit_event_record(
            chain=_chain(instance),
            actor=actor,
            actor_label=label,
            action=action,
            obj=instance,
            summary=f"{instance._meta.verbose_name}: {instance}",
            before=before,
            after=after,
        )


def connect() -> None:
    from django.apps import apps

    for label in AUDITED:
        model = apps.get_model(label)
        pre_save.connect(remember_previous, sender=model, dispatch_uid=f"audit-pre-{label}")
        post_save.connect(record_save, sender=model, dispatch_uid=f"audit-save-{label}")
        post_delete.connect(record_delete, sender=model, dispatch_uid=f"audit-delete-{label}")
