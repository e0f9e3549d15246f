"""Services of the core app: the retention of idempotency keys."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import IdempotencyKey

# A retry comes seconds or minutes after the lost answer; a day covers an integration down overnight.
IDEMPOTENCY_RETENTION = dt.timedelta(hours=24)


def idempotency_keys_purge(*, older_than: dt.timedelta = IDEMPOTENCY_RETENTION) -> int:
    """Forget the answers stored longer than `older_than` ago; returns how many were deleted."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
