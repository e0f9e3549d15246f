"""
The daily summary: at MAIL_DIGEST_HOUR (Lima) each person who prefers one gets a single mail with every
mail held for them, under the key `digest:<person>:<date>`; the held rows are marked as bundled into it in
the same transaction, so a second run that day finds the key taken and sends nothing again.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from mapro.deadlines.calendar import LIMA
from mapro.organization.models import Person

from ..models import OutboundEmail
from .outbox import email_enqueue

Status = OutboundEmail.Status


def emails_digest(*, now: dt.datetime | None = None) -> int:
    """Bundle the held mails of each person into today's summary, once the digest hour has come."""
    now = now or timezone.now()
    local = now.astimezone(LIMA)
    if local.hour < settings.MAIL_DIGEST_HOUR:
        return 0
    held = OutboundEmail.objects.filter(status=Status.HELD, created_at__lte=now)
    sent = 0
    for person_id in sorted(set(held.values_list("person_id", flat=True))):
        with transaction.atomic():
            sent += _digest_one(person_id, day=local.date(), now=now)
    return sent


def _digest_one(person_id: int, *, day: dt.date, now: dt.datetime) -> int:
    person = Person.objects.get(pk=person_id)
    held = list(
        OutboundEmail.objects.select_for_update()
        .filter(status=Status.HELD, person_id=person_id, created_at__lte=now)
        .order_by("created_at", "pk")
    )
    if not held or not person.email:
        return 0
    body = render_to_string(
        "mail/digest.txt",
        {
            "name": person.full_name,
            "count": len(held),
            "mails": [{"subject": m.subject, "body_text": _summary(m.body)} for m in held],
        },
    )
    digest = email_enqueue(
        key=f"digest:{person_id}:{day.isoformat()}",
        to=[person.email],
        subject=f"Resumen diario de mapro del {day:%d/%m/%Y}: {len(held)} aviso(s)",
        body=body,
        person=person,
        digest=False,
    )
    if digest is None:
        return 0  # today's summary went out already: these wait for tomorrow's
    OutboundEmail.objects.filter(pk=digest.pk).update(next_attempt_at=now)  # due at the run's time
    OutboundEmail.objects.filter(pk__in=[m.pk for m in held]).update(
        status=Status.BUNDLED, digest=digest, updated_at=now
    )
    return 1


def _summary(body: str) -> str:
    """A held mail inside the summary: its text without the greeting and the footer."""
    lines = body.split("\n--\n", 1)[0].strip().splitlines()
    if lines and lines[0].startswith("Estimado"):
        lines = lines[1:]
    return "\n".join("   " + line if line else "" for line in lines).strip("\n")
