"""
config/settings/base.py as production loads it (DEBUG off unless MAPRO_DEBUG=1): a public or short secret
key is refused, the HTTPS settings follow DEBUG, and `check --deploy` has nothing to say. Each case loads
the settings in a process of its own, with exactly the environment given.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_KEY = "k3y-" + "Zq8wX2vN5mR7tY1uI4oP6aS9dF0gH3jK" * 2
SHOWN = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "DEMO_LOGIN_HINT",
]


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    """Python with only PATH, PYTHONPATH and the MAPRO_* variables given (no test settings, no key)."""
    with tempfile.TemporaryDirectory() as var_dir:  # a fresh clone has no var/ (Huey's SQLite file)
        clean = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": var_dir}
        clean |= {"DJANGO_SETTINGS_MODULE": "config.settings.base", "MAPRO_VAR_DIR": var_dir, **env}
        clean.setdefault("MAPRO_SQLITE_PATH", ":memory:")
        command = [sys.executable, "-c", code]
        return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True)


def settings_shown(**env: str) -> dict:
    code = (
        "from django.conf import settings as s; import json;"
        f"print(json.dumps({{n: getattr(s, n, None) for n in {SHOWN!r}}}))"
    )
    result = run(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "dev-only-insecure-key-change-me",
        "corta-pero-no-vacía",
        "a" * 60,
        "django-insecure-" + "x1y2z3" * 10,
    ],
    ids=str,
)
def test_production_refuses_a_missing_public_or_weak_secret_key(key):
    env = {} if key is None else {"MAPRO_SECRET_KEY": key}
    result = run("import django; django.setup()", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: MAPRO_SECRET_KEY falta" in result.stderr
    assert "MAPRO_DEBUG=1" in result.stderr  # says how to get development mode


def test_production_is_https_only_and_development_is_explicit():
    production = settings_shown(MAPRO_SECRET_KEY=PRODUCTION_KEY)
    assert production == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_PROXY_SSL_HEADER": None,
        "DEMO_LOGIN_HINT": False,
    }
    behind_proxy = settings_shown(MAPRO_SECRET_KEY=PRODUCTION_KEY, MAPRO_BEHIND_PROXY="1")
    assert behind_proxy["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # Development (scripts/run.sh): DEBUG, the public key accepted, plain HTTP.
    development = settings_shown(MAPRO_DEBUG="1")
    assert development["DEBUG"] is True
    assert not development["SESSION_COOKIE_SECURE"] and not development["SECURE_SSL_REDIRECT"]
    assert development["SECURE_HSTS_SECONDS"] == 0
    assert development["DEMO_LOGIN_HINT"] is True


def test_local_mode_of_the_run_command_is_production_over_plain_http():
    """What scripts/run.sh exports by default: DEBUG off (Spanish error pages), HTTP on this machine."""
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    local = "MAPRO_SSL_REDIRECT=0 MAPRO_SECURE_COOKIES=0 MAPRO_HSTS_SECONDS=0 MAPRO_DEMO=1"
    assert local in run_sh
    shown = settings_shown(MAPRO_SECRET_KEY=PRODUCTION_KEY, **dict(v.split("=") for v in local.split()))
    assert shown["DEBUG"] is False and shown["DEMO_LOGIN_HINT"] is True
    assert not shown["SESSION_COOKIE_SECURE"] and not shown["SECURE_SSL_REDIRECT"]
    assert shown["SECURE_HSTS_SECONDS"] == 0


def test_the_key_generated_into_the_var_dir_serves_when_no_key_is_given(tmp_path):
    """scripts/run.sh writes var/secret_key once; every command of that installation then uses it."""
    (tmp_path / "secret_key").write_text(PRODUCTION_KEY + "\n")
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = run(code, MAPRO_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == PRODUCTION_KEY
    assert run(code, MAPRO_VAR_DIR=str(tmp_path), MAPRO_SECRET_KEY="x" * 8).returncode != 0  # env wins


def test_errors_are_logged_to_stderr_without_debug():
    """A 500's traceback reaches gunicorn's or the journal's log (Django logs it only with DEBUG on)."""
    code = "import django, logging; django.setup(); logging.getLogger('django.request').error('falla 500')"
    result = run(code, MAPRO_SECRET_KEY=PRODUCTION_KEY)
    assert result.returncode == 0, result.stderr
    assert "ERROR django.request: falla 500" in result.stderr


def test_check_deploy_is_clean_in_production():
    result = run(
        "from django.core.management import execute_from_command_line as m;"
        "m(['manage.py', 'check', '--deploy', '--fail-level', 'DEBUG'])",
        MAPRO_SECRET_KEY=PRODUCTION_KEY,
        MAPRO_ALLOWED_HOSTS="mapro.vivienda.gob.pe",
        MAPRO_BEHIND_PROXY="1",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_every_variable_the_settings_read_is_documented():
    read = set()
    for path in [*(ROOT / "config").rglob("*.py")]:
        read |= set(re.findall(r"MAPRO_[A-Z_]*[A-Z]\b", path.read_text()))
    documented = (ROOT / "docs" / "operations.md").read_text()
    assert read and not {name for name in read if f"`{name}`" not in documented}
