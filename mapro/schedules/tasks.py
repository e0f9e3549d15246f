"""Background work (Huey): every minute, start the scheduled cases that are due (exactly once each)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import schedules_run_due


@db_periodic_task(crontab(minute="*"))
def schedules_tick() -> int:
    return len(schedules_run_due())
