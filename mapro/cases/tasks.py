"""Background work (Huey): the periodic tick that lets time-driven changes happen by themselves (windows
that run out, and the expiry actions of time rules: docs/deadlines.md)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.deadlines import deadlines_expire


@db_periodic_task(crontab(minute="*"))
def deadlines_tick() -> int:
    return deadlines_expire()
