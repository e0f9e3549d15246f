#!/usr/bin/env bash
# The main job: install, prepare the embedded SQLite database, load the catalogue, print the demo
# people and serve the web app on http://127.0.0.1:${PORT:-8000}/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=config.settings.base
mkdir -p var
.venv/bin/mapro migrate --noinput
.venv/bin/mapro procedures validate
.venv/bin/mapro procedures list
exec .venv/bin/mapro runserver "127.0.0.1:${PORT:-8000}"
