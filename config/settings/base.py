"""
Settings for every environment, driven by environment variables.

The embedded default (no variables set) is SQLite under ./var and Huey on SQLite; production sets
DATABASE_URL-like variables (MAPRO_DB_*) and nothing else changes.
"""

import datetime as dt
import os
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MAPRO_VAR_DIR", BASE_DIR / "var"))
PROCEDURES_DIR = Path(os.environ.get("MAPRO_PROCEDURES_DIR", BASE_DIR / "procedures"))

# Production unless said otherwise: DEBUG only with MAPRO_DEBUG=1 (scripts/run.sh sets it for development).
DEBUG = os.environ.get("MAPRO_DEBUG", "0") == "1"
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"


def _secret_key() -> str:
    """
    MAPRO_SECRET_KEY; else the key scripts/run.sh generated once into the var dir (so every `mapro` command
    of that installation signs sessions and audit MACs with the same key); else the public development key.
    """
    if key := os.environ.get("MAPRO_SECRET_KEY", ""):
        return key
    key_file = VAR_DIR / "secret_key"
    return key_file.read_text().strip() if key_file.is_file() else DEVELOPMENT_SECRET_KEY


SECRET_KEY = _secret_key()
SECRET_KEY_MIN_LENGTH = 50  # what `check --deploy` asks (security.W009)


def _refuse_a_public_secret_key() -> None:
    """Without DEBUG nothing starts with the key every copy of the repository knows, or with a short one."""
    long_enough = len(SECRET_KEY) >= SECRET_KEY_MIN_LENGTH and len(set(SECRET_KEY)) >= 5
    generated_for_development = SECRET_KEY.startswith("django-insecure-")  # startproject's
    if DEBUG or (SECRET_KEY != DEVELOPMENT_SECRET_KEY and long_enough and not generated_for_development):
        return
    raise ImproperlyConfigured(
        "MAPRO_SECRET_KEY falta, es la clave pública de desarrollo o es demasiado corta (mínimo "
        f"{SECRET_KEY_MIN_LENGTH} caracteres, 5 distintos). En producción genere una con "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`; para desarrollo exporte "
        "MAPRO_DEBUG=1. / MAPRO_SECRET_KEY is missing, the public development key or too short; "
        "set a random key of 50+ characters, or MAPRO_DEBUG=1 for development."
    )


_refuse_a_public_secret_key()
ALLOWED_HOSTS = os.environ.get("MAPRO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
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
    "mapro.reports",
    "mapro.schedules",
    "mapro.mail",
    "web.apps.AxesConfig",  # django-axes with a Spanish name in the admin
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "web.middleware.PermissionsPolicyMiddleware",
    # Before anything reads the body: a request larger than MAPRO_REQUEST_MAX_BYTES gets 413 unread.
    "web.middleware.RequestSizeLimitMiddleware",
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


def _sqlite_file(path: str | Path) -> str:
    """
    The path of a SQLite file the settings point to, its folder created if missing: SQLite creates the file
    but not its folder, and Huey opens its queue while the apps load, so on a fresh installation (no var/
    yet) every command, even `mapro procedures validate`, ended in "unable to open database file".
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return str(path)


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
        "NAME": _sqlite_file(os.environ.get("MAPRO_SQLITE_PATH", VAR_DIR / "mapro.sqlite3")),
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
# Login throttling (django-axes, docs/operations.md "Ingreso"): after AXES_FAILURE_LIMIT failed attempts
# for one user name from one address, that pair is locked out; after LOGIN_ADDRESS_FAILURE_LIMIT failures
# from one address on any user names (password spraying), the address is. Both last AXES_COOLOFF_TIME
# after the last failure counted. Attempts are rows in the database, so every web process sees them, and
# administrators see and reset them in the admin (or `mapro axes_reset_ip ADDRESS`).
AXES_FAILURE_LIMIT = int(os.environ.get("MAPRO_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("MAPRO_LOGIN_ADDRESS_FAILURE_LIMIT", "25"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("MAPRO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "web.throttling.AddressThrottledDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "web.throttling.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/auth/locked.html"
AXES_USERNAME_FORM_FIELD = "username"

# --- Production hardening (docs/decisions/0013-production-defaults.md) --------------------------------


def _flag(name: str, default: bool) -> bool:
    """An on/off variable: "1" on, "0" off, unset the default."""
    value = os.environ.get(name, "")
    return default if value == "" else value == "1"


# Behind a reverse proxy that terminates TLS (nginx, Apache) on this machine or network, which overwrites
# X-Forwarded-Proto and appends the client's address to X-Forwarded-For. Never set it when the server is
# reachable without that proxy: the headers would be the client's word.
BEHIND_PROXY = _flag("MAPRO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _flag("MAPRO_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _flag("MAPRO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_HTTPONLY = True  # the pages send the token from the form or the hx-headers attribute
SECURE_HSTS_SECONDS = int(os.environ.get("MAPRO_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # subdomains of the application's own host name only
# HSTS preload is a commitment of the entity's registrable domain (gob.pe sub-domain), not of one
# application: left to the domain's owner (security.W021 silenced below).
SECURE_HSTS_PRELOAD = _flag("MAPRO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "web.views.errors.csrf_failure"
# No inline script or style, no eval, nothing from another origin: templates load web/static/ files only
# (scripts set styles through the DOM, which the policy allows). The browser tests fail on any refusal.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Features the application never uses, off for every page (and any script that got in).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
# The demo login hint (a demo user name and the shared password): development, and the local mode of
# scripts/run.sh (MAPRO_DEMO=1); never in production.
DEMO_LOGIN_HINT = _flag("MAPRO_DEMO", DEBUG)
# Warnings and errors (500 tracebacks, refused hosts, 4xx) go to stderr in every mode, where gunicorn, the
# worker and systemd's journal keep them; Django's default prints them only with DEBUG on.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "WARNING", "propagate": False}},
}
# Request size: an attachment may have 25 MB (mapro.cases.services.cases.MAX_ATTACHMENT_BYTES); a request
# carries one file plus a few fields, so 26 MB in all; larger requests get 413 before they are read.
# Bodies without files (forms, JSON) keep Django's 2.5 MB.
REQUEST_MAX_BYTES = int(os.environ.get("MAPRO_REQUEST_MAX_BYTES", str(26 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

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
    # Three models have a `status`: each enum named after its model (drf_spectacular.W001 otherwise).
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "mapro.cases.models.Case.Status",
        "TaskStatusEnum": "mapro.cases.models.CaseTask.Status",
        "DeadlineStatusEnum": "mapro.cases.models.Deadline.Status",
        # Three `kind`s too: of an activity, of a recipient the ficha names, of a notification's recipient.
        "ActivityKindEnum": "mapro.catalogue.definition.schema.ActivityKind",
        "RecipientKindEnum": ["role", "requester", "contact"],
        "NotificationKindEnum": "mapro.cases.models.Notification.Kind",
    },
}

# --- E-mail (docs/mail.md, docs/decisions/0023-mail.md) --------------------------------------------------
# SMTP when MAPRO_EMAIL_HOST is set. Without it (development, scripts/run.sh) nothing leaves the machine:
# every message is written as a file under var/mail/ (MAPRO_EMAIL_BACKEND=console prints them instead).
if EMAIL_HOST := os.environ.get("MAPRO_EMAIL_HOST", ""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("MAPRO_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("MAPRO_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("MAPRO_EMAIL_PASSWORD", "")
    EMAIL_USE_SSL = _flag("MAPRO_EMAIL_SSL", False)
    EMAIL_USE_TLS = _flag("MAPRO_EMAIL_STARTTLS", not EMAIL_USE_SSL)
    EMAIL_TIMEOUT = int(os.environ.get("MAPRO_EMAIL_TIMEOUT", "30"))
elif os.environ.get("MAPRO_EMAIL_BACKEND") == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("MAPRO_EMAIL_FROM", "mapro <no-responder@mapro.local>")
# The links in the mails: the address people reach the web app at.
MAPRO_BASE_URL = os.environ.get("MAPRO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Reminder lead before a due time, per the rule's unit: hours for rules in hours, working days for the rest.
MAIL_REMINDER_HOURS = int(os.environ.get("MAPRO_MAIL_REMINDER_HOURS", "1"))
MAIL_REMINDER_WORKING_DAYS = int(os.environ.get("MAPRO_MAIL_REMINDER_WORKING_DAYS", "1"))
MAIL_DIGEST_HOUR = int(os.environ.get("MAPRO_MAIL_DIGEST_HOUR", "8"))  # Lima time
# Delivery: a failed attempt waits MAIL_RETRY_SECONDS × 2^(attempt-1) (at most 6 h); after
# MAIL_MAX_ATTEMPTS the mail is "failed" and shows in the admin. A claim older than the timeout (a worker
# killed while sending) is taken again.
MAIL_MAX_ATTEMPTS = int(os.environ.get("MAPRO_MAIL_MAX_ATTEMPTS", "8"))
MAIL_RETRY_SECONDS = int(os.environ.get("MAPRO_MAIL_RETRY_SECONDS", "60"))
MAIL_CLAIM_TIMEOUT_SECONDS = 600

# Background work: Huey on SQLite by default (one file under var/), Redis in production (MAPRO_REDIS_URL).
# The worker: one consumer by default (threads). Several consumers (processes or machines) may run at once
# on Redis: every periodic service is idempotent in the database (docs/schedules.md, ADR 0022).
HUEY = {
    "name": "mapro",
    "immediate": False,
    "consumer": {"workers": int(os.environ.get("MAPRO_HUEY_WORKERS", "2")), "worker_type": "thread"},
}
if REDIS_URL := os.environ.get("MAPRO_REDIS_URL"):
    HUEY |= {"huey_class": "huey.RedisHuey", "connection": {"url": REDIS_URL}}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": _sqlite_file(VAR_DIR / "huey.sqlite3")}
