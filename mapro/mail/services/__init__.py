"""
E-mail services (docs/mail.md). Public interface used by other apps: `email_enqueue`, `emails_deliver`;
the worker runs `mail_tick`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .digest import emails_digest
from .events import case_closed_email, case_events_scan, task_assigned_email
from .outbox import email_enqueue, emails_deliver, emails_retry
from .watch import deadlines_watch


def mail_tick(*, now: dt.datetime | None = None) -> int:
    """
    The worker's periodic mail work, in order: new tasks and notifications, reminders and escalations,
    summaries, delivery. Returns how many mails were sent.
    """
    now = now or timezone.now()
    case_events_scan(now=now)
    deadlines_watch(now=now)
    emails_digest(now=now)
    return emails_deliver(now=now)


__all__ = [
    "case_closed_email",
    "case_events_scan",
    "deadlines_watch",
    "email_enqueue",
    "emails_deliver",
    "emails_digest",
    "emails_retry",
    "mail_tick",
    "task_assigned_email",
]
