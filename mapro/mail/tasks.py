"""Background work (Huey): every minute, reminders and escalations, the daily summaries and delivery."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import mail_tick


@db_periodic_task(crontab(minute="*"))
def mail_tick_minutely() -> int:
    return mail_tick()
