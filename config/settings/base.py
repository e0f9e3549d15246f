"""
Settings for every environment, driven by environment variables.

The embedded default (no variables set) is SQLite under ./var and Huey on SQLite; production sets
DATABASE_URL-like variables (MAPRO_DB_*) and nothing else changes.
"""

import datetime as dt
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
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "huey.contrib.djhuey",
    "mapro.core",
    "mapro.organization",
    "mapro.catalogue",
    "mapro.deadlines",
    "mapro.cases",
    "mapro.audit",
    "axes",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL in the URL, the query string or a form field: 400 before any view (PostgreSQL cannot store it).
    "mapro.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mapro.audit.context.AuditUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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

# Argon2 first (new and re-hashed passwords), PBKDF2 kept so older hashes still verify and get upgraded.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Web sign-in and login throttling: docs/decisions/0007-frontend-assets.md, section "Sign-in".
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:inbox"
LOGOUT_REDIRECT_URL = "web:login"
# Sessions end after MAPRO_SESSION_IDLE_MINUTES without a request (sliding) and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("MAPRO_SESSION_IDLE_MINUTES", "120")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("MAPRO_SECURE_COOKIES", "0") == "1"
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed attempts for one user name from one
# address, that pair is locked out for AXES_COOLOFF_TIME; attempts are rows in the database, so every web
# process sees them, and administrators see and reset them in the admin.
AXES_FAILURE_LIMIT = int(os.environ.get("MAPRO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("MAPRO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/auth/locked.html"
AXES_USERNAME_FORM_FIELD = "username"

LANGUAGE_CODE = "es-pe"
LANGUAGES = [("es-pe", "Español (Perú)")]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
# web/static/vendor/ (htmx, bpmn-js) is filled from npm by scripts/bootstrap.sh.
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.PersonTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exception_handler.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mapro API",
    "DESCRIPTION": "El Manual de Procedimientos ejecutable: expedientes, tareas, plazos y auditoría.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Background work: Huey on SQLite by default (one file under var/), Redis in production (MAPRO_REDIS_URL).
HUEY = {"name": "mapro", "immediate": False, "consumer": {"workers": 2, "worker_type": "thread"}}
if REDIS_URL := os.environ.get("MAPRO_REDIS_URL"):
    HUEY |= {"huey_class": "huey.RedisHuey", "connection": {"url": REDIS_URL}}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")}
