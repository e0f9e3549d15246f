"""
Background work (Huey): the daily anchor of the audit chain heads.

It runs every hour and writes only the first time each day (Lima date): a worker that was down at the
usual hour anchors at its next run, and two workers or a restart write one line per chain per day (the
anchor file's lock and its per-day check, mapro/audit/anchors.py).
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import audit_anchor_write


@db_periodic_task(crontab(minute="7"))
def audit_anchor_tick() -> int:
    return len(audit_anchor_write())
