"""Time-driven changes of deadlines: validity and response windows run out by themselves."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from mapro.audit.services import audit_event_record

from ..models import Deadline

WINDOWS = ("validity", "response_window")


def deadlines_expire(*, now: dt.datetime | None = None) -> int:
    """Mark every validity or response window that has run out as expired; returns how many.

    Each row is claimed with a compare-and-swap update, so concurrent ticks never expire one twice and a
    missed tick is caught up by the next one.
    """
    now = now or timezone.now()
    due = Deadline.objects.filter(status=Deadline.Status.PENDING, meaning__in=WINDOWS, due_at__lt=now)
    expired = 0
    for deadline in due.select_related("case__entity").iterator():
        with transaction.atomic():
            claimed = Deadline.objects.filter(pk=deadline.pk, status=Deadline.Status.PENDING).update(
                status=Deadline.Status.EXPIRED, settled_at=now
            )
            if claimed:
                audit_event_record(
                    chain=deadline.case.entity.code,
                    action="deadline.expired",
                    obj=deadline,
                    case=deadline.case,
                    summary=f"{deadline.case.number}: venció {deadline.text[:200]}",
                    before={"status": Deadline.Status.PENDING},
                    after={"status": Deadline.Status.EXPIRED},
                )
                expired += 1
    return expired
