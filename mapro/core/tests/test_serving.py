"""The production server settings (config/gunicorn.conf.py) load and say what README and bench/ rely on."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def gunicorn_config(**env: str) -> dict[str, str]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    printed = subprocess.run(
        [str(gunicorn), "--print-config", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pairs = (line.split("=", 1) for line in printed.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def test_sync_workers_two_per_core_plus_one_by_default():
    config = gunicorn_config()
    assert config["worker_class"] == "sync"
    assert config["threads"] == "1"
    assert config["workers"] == str(2 * os.cpu_count() + 1)
    assert config["preload_app"] == "True"


def test_workers_and_address_come_from_the_environment():
    config = gunicorn_config(MAPRO_WORKERS="3", MAPRO_BIND="0.0.0.0:9000")
    assert (config["workers"], config["bind"]) == ("3", "['0.0.0.0:9000']")
