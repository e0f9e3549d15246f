"""Test settings: speed and determinism knobs only."""

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, HUEY

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = ":memory:"
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}

HUEY = {**HUEY, "immediate": True}
# Tests never read this machine's real audit anchors (the ones of var/audit-anchors/); tests that write
# anchors use a temporary directory.
AUDIT_ANCHOR_DIR = BASE_DIR / "var" / "test-audit-anchors"
