"""Background work (Huey): the supervision reports of the periods that have ended, e-mailed once."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .supervision import supervision_reports_send


@db_periodic_task(crontab(minute="23"))
def supervision_reports_hourly() -> int:
    # Hourly, not daily: a worker that was down at the usual hour sends at its next run; the outbox key
    # makes every later run of the same period a no-op that builds no PDF.
    return supervision_reports_send()
