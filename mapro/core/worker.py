"""
One tick of the worker: every periodic service, in order, at one moment. The Huey periodic tasks run
the same services on their own crontabs; tests and `mapro schedules run-due` drive time through `now`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def worker_tick(now: dt.datetime | None = None) -> dict[str, int]:
    """Run the worker's periodic services at `now`; returns how much each did."""
    from mapro.cases.services.deadlines import deadlines_expire
    from mapro.mail.services import mail_tick
    from mapro.reports.supervision import supervision_reports_send
    from mapro.schedules.services import schedules_run_due

    now = now or timezone.now()
    done = {"schedules": len(schedules_run_due(now=now))}
    done["deadlines"] = deadlines_expire(now=now)
    done["supervision_reports"] = supervision_reports_send(now=now)
    done["mails_sent"] = mail_tick(now=now)  # last: it mails what the services above have just done
    return done
