"""Background work (Huey) of the core app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import idempotency_keys_purge


@db_periodic_task(crontab(minute="17"))
def idempotency_keys_purge_hourly() -> int:
    return idempotency_keys_purge()
