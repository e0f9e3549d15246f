"""
Login throttling (web/throttling.py, settings AXES_* and LOGIN_ADDRESS_FAILURE_LIMIT): password spraying
from one address locks that address; another address is not affected; the per-user lockout still holds.
"""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse

from mapro.organization.services import DEMO_PASSWORD

ANALYST = "mvcs.analista_mesa_servicios"


def login(client: Client, username: str, password: str, address: str, **extra: str) -> int:
    data = {"username": username, "password": password}
    return client.post(reverse("web:login"), data, REMOTE_ADDR=address, **extra).status_code


def spray(client: Client, count: int, address: str, **extra: str) -> None:
    for n in range(count):
        assert login(client, f"desconocido{n}", "Clave-2026", address, **extra) == 200  # the form again


def test_spraying_from_one_address_locks_that_address_only(mvcs):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    attacker, elsewhere = Client(), Client()
    spray(attacker, limit - 1, "203.0.113.7")
    # Below the limit the address still works: a right password signs in (and clears only its own row).
    assert login(Client(), ANALYST, DEMO_PASSWORD, "203.0.113.7") == 302
    # The failure that reaches the limit is answered with the lockout page, and so is every login from the
    # address after it, the right password too.
    assert login(attacker, "desconocido-ultimo", "Clave-2026", "203.0.113.7") == 429
    assert login(attacker, ANALYST, DEMO_PASSWORD, "203.0.113.7") == 429
    assert login(Client(), "mvcs.oficial_seguridad", DEMO_PASSWORD, "203.0.113.7") == 429
    assert login(elsewhere, ANALYST, DEMO_PASSWORD, "198.51.100.20") == 302


def test_per_user_lockout_still_comes_first(mvcs):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), ANALYST, "equivocada", "192.0.2.10")
    assert login(Client(), ANALYST, DEMO_PASSWORD, "192.0.2.10") == 429
    # Another person from the same address, and the same person from another address, are not locked.
    assert login(Client(), "mvcs.oficial_seguridad", DEMO_PASSWORD, "192.0.2.10") == 302
    assert login(Client(), ANALYST, DEMO_PASSWORD, "192.0.2.11") == 302


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(mvcs, settings):
    settings.BEHIND_PROXY = True
    proxy = "127.0.0.1"
    # The attacker writes a new first X-Forwarded-For entry every time; the proxy appends the real one.
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        forwarded = f"10.9.{n}.1, 203.0.113.99"
        login(Client(), f"desconocido{n}", "x", proxy, HTTP_X_FORWARDED_FOR=forwarded)
    assert login(Client(), ANALYST, DEMO_PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.99") == 429
    # Other people behind the same proxy are not locked out.
    assert login(Client(), ANALYST, DEMO_PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.5") == 302
