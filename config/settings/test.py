"""Test settings: speed and determinism knobs only."""

from .base import *  # noqa: F403
from .base import DATABASES, HUEY

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = ":memory:"
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}

HUEY = {**HUEY, "immediate": True}
