#!/usr/bin/env bash
# The main job: install, prepare the embedded SQLite database, load the catalogue, print the demo
# people and serve the web app on http://127.0.0.1:${PORT:-8000}/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=config.settings.base
# Development mode, on purpose: DEBUG, the public development secret key, plain HTTP and the demo people.
# Without MAPRO_DEBUG=1 the settings are production's, which refuse to start without MAPRO_SECRET_KEY
# (docs/operations.md).
export MAPRO_DEBUG=1
echo "mapro: modo desarrollo (MAPRO_DEBUG=1); para producción vea docs/operations.md"
mkdir -p "${MAPRO_VAR_DIR:-var}"
.venv/bin/mapro migrate --noinput
.venv/bin/mapro procedures validate
.venv/bin/mapro procedures list
# Demo data: the catalogue in the database and one person per role of every entity (idempotent).
.venv/bin/mapro demo load
echo
echo "mapro: http://127.0.0.1:${PORT:-8000}/ — para empezar, ingrese como mvcs.analista_mesa_servicios"
echo "(contraseña mapro-demo-2026) e inicie un PR.OTI.005; la administración está en /admin/."
# The worker (Huey on SQLite): its periodic tick expires validity and response windows by themselves.
.venv/bin/mapro run_huey --quiet &
worker=$!
trap 'kill "$worker" 2>/dev/null' EXIT
.venv/bin/mapro runserver "127.0.0.1:${PORT:-8000}"
