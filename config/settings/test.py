"""Test settings: speed and determinism knobs only, and plain HTTP for the test servers."""

import os

# Tests run as production does (DEBUG off), so they need a key that is not the public development one.
os.environ.setdefault("MAPRO_SECRET_KEY", "test-only-key-" + "0123456789abcdefghijklmnopqrstuvwxyz" * 2)

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, HUEY

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# The test client, the live server and the gunicorn servers the tests start speak plain HTTP; the
# production values of these are checked by mapro/core/tests/test_production_settings.py.
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = ":memory:"
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}

HUEY = {**HUEY, "immediate": True}
# Tests never read this machine's real audit anchors (the ones of var/audit-anchors/); tests that write
# anchors use a temporary directory.
AUDIT_ANCHOR_DIR = BASE_DIR / "var" / "test-audit-anchors"
