"""
The scratch database every benchmark measures on: a SQLite file under var/bench/, or a database of its own on
the PostgreSQL server the shell names (MAPRO_DB_HOST/PORT/USER, as `eval "$(scripts/postgres.sh start)"`
exports them), else on the one scripts/postgres.sh starts. Dropped and created again unless `reuse`.
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
SERVER_KEYS = ("MAPRO_DB_HOST", "MAPRO_DB_PORT", "MAPRO_DB_USER", "MAPRO_DB_PASSWORD")


def scratch_database_env(name: str, *, engine: str, reuse: bool = False) -> dict[str, str]:
    """The MAPRO_* variables of database `name` (production settings, a fresh secret key per run)."""
    WORK.mkdir(parents=True, exist_ok=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "MAPRO_DEBUG": "0",
        # Production settings refuse a short or public key (config/settings/base.py).
        "MAPRO_SECRET_KEY": secrets.token_urlsafe(50),
        "MAPRO_VAR_DIR": str(WORK),
    }
    if engine == "sqlite":
        path = WORK / f"{name}.sqlite3"
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return env | {"MAPRO_DB_ENGINE": "sqlite", "MAPRO_SQLITE_PATH": str(path)}
    env |= _server() | {"MAPRO_DB_ENGINE": "postgresql", "MAPRO_DB_NAME": name}
    if not reuse:
        import psycopg

        conninfo = " ".join(
            f"{key}={env.get(var, '')}"
            for key, var in zip(("host", "port", "user", "password"), SERVER_KEYS, strict=True)
        )
        with psycopg.connect(f"{conninfo} dbname=postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            pg.execute(f'CREATE DATABASE "{name}"')
    return env


def _server() -> dict[str, str]:
    """The server the shell names, else the one scripts/postgres.sh runs (started if needed)."""
    if os.environ.get("MAPRO_DB_HOST") and os.environ.get("MAPRO_DB_PORT"):
        return {key: os.environ.get(key, "") for key in SERVER_KEYS}
    exports = subprocess.run(
        [str(ROOT / "scripts" / "postgres.sh"), "start"], check=True, capture_output=True, text=True
    ).stdout
    server = {}
    for line in exports.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        if key in SERVER_KEYS:
            server[key] = shlex.split(value)[0] if value else ""
    return server
