"""
Settings for every environment, driven by environment variables.

The embedded default (no variables set) is SQLite under ./var and Huey on SQLite; production sets
DATABASE_URL-like variables (MAPRO_DB_*) and nothing else changes.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MAPRO_VAR_DIR", BASE_DIR / "var"))
PROCEDURES_DIR = Path(os.environ.get("MAPRO_PROCEDURES_DIR", BASE_DIR / "procedures"))

SECRET_KEY = os.environ.get("MAPRO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("MAPRO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("MAPRO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "mapro.core",
    "mapro.organization",
    "mapro.catalogue",
    "mapro.deadlines",
    "mapro.cases",
    "mapro.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"


def _database() -> dict:
    engine = os.environ.get("MAPRO_DB_ENGINE", "sqlite")
    if engine == "postgresql":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("MAPRO_DB_NAME", "mapro"),
            "USER": os.environ.get("MAPRO_DB_USER", "mapro"),
            "PASSWORD": os.environ.get("MAPRO_DB_PASSWORD", ""),
            "HOST": os.environ.get("MAPRO_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("MAPRO_DB_PORT", "5432"),
            "CONN_MAX_AGE": 60,
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("MAPRO_SQLITE_PATH", str(VAR_DIR / "mapro.sqlite3")),
        # WAL and a busy timeout let the web process and the worker share the file.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es-pe"
LANGUAGES = [("es-pe", "Español (Perú)")]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
