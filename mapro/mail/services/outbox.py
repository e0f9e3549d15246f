"""
The outbox: mails are rows first, sent later by the worker.

A mail is enqueued in the transaction of what it tells (the task created, the case closed), under a unique
key: a retried or concurrent attempt finds the key taken and adds nothing. The deliverer claims each row
with a compare-and-swap update, so two workers never send the same row; a claim left by a worker killed
mid-send is taken again after MAIL_CLAIM_TIMEOUT_SECONDS (the mail may then go out twice, never zero
times; its Message-ID is derived from the key so mail clients show it once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mapro.cases.models import Case
from mapro.organization.models import Person

from ..models import MailPreference, OutboundAttachment, OutboundEmail

log = logging.getLogger(__name__)
Status = OutboundEmail.Status
MAX_RETRY_DELAY = dt.timedelta(hours=6)
BATCH = 200


@dataclass
class Draft:
    """A mail about to be enqueued (the bulk form of email_enqueue's arguments)."""

    key: str
    to: list[str]
    subject: str
    body: str
    person: Person | None = None
    case: Case | None = None
    digest: bool = True
    attachments: Sequence[tuple[str, bytes, str]] = field(default_factory=tuple)


def email_enqueue(
    *,
    key: str,
    to: list[str],
    subject: str,
    body: str,
    person: Person | None = None,
    case: Case | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    digest: bool = True,
) -> OutboundEmail | None:
    """
    Enqueue one mail under `key`; None when a mail with that key already exists (nothing is added).

    `digest=True` lets the mail wait for the daily summary of a `person` who prefers one; `digest=False`
    always sends it on the next delivery. `attachments`: (filename, content, mimetype).
    """
    draft = Draft(key, list(to), subject, body, person, case, digest, attachments)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives a taken key
            email = OutboundEmail.objects.create(**_row_fields(draft))
            OutboundAttachment.objects.bulk_create(
                OutboundAttachment(email=email, filename=name, content=content, mimetype=mimetype)
                for name, content, mimetype in attachments
            )
    except IntegrityError:
        if OutboundEmail.objects.filter(key=key).exists():
            return None
        raise
    return email


def emails_enqueue_many(drafts: Iterable[Draft]) -> int:
    """
    The bulk form for the hooks in case services: one insert, keys already taken skipped, drafts without
    an address dropped. Attachments are not supported here (use email_enqueue). Returns the rows offered.
    """
    rows = [OutboundEmail(**_row_fields(d)) for d in drafts if d.to]
    if rows:
        OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _row_fields(draft: Draft) -> dict:
    return {
        "key": draft.key[:200],
        "to": sorted(set(draft.to)),
        "subject": " ".join(draft.subject.split())[:300],  # one line: a header
        "body": draft.body,
        "person": draft.person,
        "case": draft.case,
        "digestible": draft.digest and draft.person is not None,
        "next_attempt_at": timezone.now(),
    }


def emails_deliver(*, now: dt.datetime | None = None) -> int:
    """Send every pending mail that is due (and every stale claim); returns how many were sent."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.MAIL_CLAIM_TIMEOUT_SECONDS)
    due = OutboundEmail.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_at__lt=stale)
    )
    _hold_for_digest()
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:BATCH])
    if not ids:
        return 0
    sent = 0
    connection = get_connection()
    try:
        for pk in ids:
            email = _claim(pk, now=now, stale=stale)
            if email is not None:
                sent += _send(email, connection=connection, now=now)
    finally:
        connection.close()
    return sent


def _hold_for_digest() -> None:
    """First attempts of digestible mails to people who prefer a daily summary wait for it."""
    digesting = MailPreference.objects.filter(mode=MailPreference.Mode.DIGEST).values("person_id")
    OutboundEmail.objects.filter(
        status=Status.PENDING, digestible=True, attempts=0, person_id__in=digesting
    ).update(status=Status.HELD, next_attempt_at=None)


def _claim(pk: int, *, now: dt.datetime, stale: dt.datetime) -> OutboundEmail | None:
    claimable = Q(status=Status.PENDING) | Q(status=Status.SENDING, claimed_at__lt=stale)
    if not OutboundEmail.objects.filter(claimable, pk=pk).update(status=Status.SENDING, claimed_at=now):
        return None  # another worker took it
    return OutboundEmail.objects.get(pk=pk)


def _send(email: OutboundEmail, *, connection, now: dt.datetime) -> int:
    if not email.to:  # e.g. an escalation marker retried by hand: there is nobody to send it to
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=Status.FAILED, last_error="Sin destinatarios."
        )
        return 0
    message = EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        connection=connection,
        headers={"Message-ID": message_id(email.key), "X-Mapro-Key": email.key},
    )
    for attachment in email.attachments.all():
        message.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    try:
        message.send()
    except Exception as error:  # SMTP refusals, network errors: all retried, then shown to administrators
        _attempt_failed(email, error=error, now=now)
        connection.close()  # a refused session may be unusable: the next message opens a new one
        return 0
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.SENT, sent_at=now, attempts=email.attempts + 1, last_error="", updated_at=now
    )
    return 1


def _attempt_failed(email: OutboundEmail, *, error: Exception, now: dt.datetime) -> None:
    attempts = email.attempts + 1
    delay = min(dt.timedelta(seconds=settings.MAIL_RETRY_SECONDS * 2 ** (attempts - 1)), MAX_RETRY_DELAY)
    gave_up = attempts >= settings.MAIL_MAX_ATTEMPTS
    log.warning("mail %s: intento %s fallido: %s", email.key, attempts, error)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.FAILED if gave_up else Status.PENDING,
        attempts=attempts,
        next_attempt_at=None if gave_up else now + delay,
        last_error=error_text(error)[:2000],
        updated_at=now,
    )


def error_text(error: Exception) -> str:
    """The server's answer as an administrator reads it ("550 5.1.1 Buzón inexistente"), not bytes."""
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        answer = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
        return f"SMTP {error.smtp_code} {answer}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = error.recipients.items()
        return "SMTP destinatarios rechazados: " + "; ".join(
            f"{to}: {code} {answer.decode('utf-8', 'replace')}" for to, (code, answer) in refused
        )
    return f"{type(error).__name__}: {error}"


def emails_retry(*, ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """An administrator sends failed mails again: they are due at once, with a fresh count of attempts."""
    now = now or timezone.now()
    return OutboundEmail.objects.filter(pk__in=list(ids), status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=now, updated_at=now
    )


def message_id(key: str) -> str:
    """A stable Message-ID per key: a mail sent twice (a worker killed mid-send) is one message."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "mapro.local"
    return f"<{digest}@{domain}>"
