#!/usr/bin/env bash
# Installs everything (system packages, Python packages) and runs every check and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
export DJANGO_SETTINGS_MODULE=config.settings.test

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mapro makemigrations --check --dry-run >/dev/null
.venv/bin/mapro procedures validate

# pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
set +e
.venv/bin/pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
    echo "pytest no ejecutó ninguna prueba" >&2
    exit 1
fi
exit "$status"
