"""
The `mapro` command on a fresh installation: what scripts/bootstrap.sh leaves (no var/ folder, no test
settings), run as `.venv/bin/mapro` runs it (mapro.cli.main, settings config.settings.base).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def mapro(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`.venv/bin/mapro ARGS` with only PATH, PYTHONPATH, HOME and the variables given."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": env.get("MAPRO_VAR_DIR", "/"), **env}
    code = f"import sys; from mapro.cli import main; sys.argv = ['mapro', *{list(args)!r}]; main()"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_mapro_procedures_validate_works_before_var_exists(tmp_path: Path) -> None:
    var_dir = tmp_path / "fresh-clone" / "var"  # neither exists yet
    # MAPRO_DEBUG=1: the README's way to run `mapro` without scripts/run.sh's generated key.
    result = mapro("procedures", "validate", MAPRO_VAR_DIR=str(var_dir), MAPRO_DEBUG="1")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "unable to open database file" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip(), "validate reports what it checked"
    # The settings made the folder of the SQLite files they point to (database and Huey's queue).
    assert var_dir.is_dir()
    assert (var_dir / "huey.sqlite3").is_file()


def test_without_a_secret_key_mapro_says_what_to_set_without_a_traceback(tmp_path: Path) -> None:
    result = mapro("procedures", "validate", MAPRO_VAR_DIR=str(tmp_path / "var"))
    assert result.returncode == 2
    assert result.stderr.startswith("mapro: MAPRO_SECRET_KEY falta")
    assert "MAPRO_DEBUG=1" in result.stderr and "Traceback" not in result.stderr
