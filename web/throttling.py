"""
Login throttling on top of django-axes (settings AXES_*, docs/operations.md "Ingreso").

django-axes locks a user name from one address after AXES_FAILURE_LIMIT failures; it can also count per
address, but with the same limit for every combination, and 5 failures per address would lock a whole
office behind one NAT address. This handler adds the second, larger limit: once an address has
LOGIN_ADDRESS_FAILURE_LIMIT failures (on any user names, known or not) within the cool-off window, every
login from it is refused, the right password included, until those failures age out. It counts the
rows axes already keeps, so it needs no table or process of its own.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(request: HttpRequest) -> int:
    """Failed logins from the request's address within the cool-off window, on every user name."""
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        attempt_time__gte=get_cool_off_threshold(request),
    )
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class AddressThrottledDatabaseHandler(AxesDatabaseHandler):
    """axes' database handler, with the address counted as well as the user name from that address."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            # axes locks when failures reach its one limit: report at least that much for the address.
            return max(failures, get_failure_limit(request, credentials))
        return failures


def client_address(request: HttpRequest) -> str | None:
    """
    The address that logs in: REMOTE_ADDR, or behind the reverse proxy (MAPRO_BEHIND_PROXY=1) the last
    address of X-Forwarded-For, the one the proxy appended (earlier ones are the client's word).
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")
