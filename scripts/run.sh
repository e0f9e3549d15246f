#!/usr/bin/env bash
# The main job: install, prepare the embedded SQLite database, load the catalogue, print the demo
# people and serve the web app on http://127.0.0.1:${PORT:-8000}/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=config.settings.base
var="${MAPRO_VAR_DIR:-var}"
mkdir -p "$var"
serve_flags=()
if [ "${MAPRO_DEBUG:-0}" = 1 ]; then
    # Django's development mode, asked for: debug pages, the public development key.
    echo "mapro: modo desarrollo (MAPRO_DEBUG=1): páginas de depuración; para producción vea docs/operations.md"
else
    # Local mode, the default: production settings (DEBUG off: Spanish error pages, no debug information,
    # CSP and the other headers) on a plain-HTTP server that only this machine reaches. So: a secret key
    # generated once into var/secret_key (the settings read it when MAPRO_SECRET_KEY is unset), the
    # HTTPS-only settings off, the demo login hint on, and the static files served by runserver itself
    # (--insecure). docs/operations.md, "Production and development".
    if [ ! -s "$var/secret_key" ]; then
        (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$var/secret_key")
    fi
    export MAPRO_SSL_REDIRECT=0 MAPRO_SECURE_COOKIES=0 MAPRO_HSTS_SECONDS=0 MAPRO_DEMO=1
    serve_flags=(--insecure)
    echo "mapro: modo local (configuración de producción sobre HTTP en 127.0.0.1; MAPRO_DEBUG=1 para desarrollo)"
fi
.venv/bin/mapro migrate --noinput
.venv/bin/mapro procedures validate
.venv/bin/mapro procedures list
# Demo data: the catalogue in the database and one person per role of every entity (idempotent).
.venv/bin/mapro demo load
echo
echo "mapro: http://127.0.0.1:${PORT:-8000}/ — para empezar, ingrese como mvcs.analista_mesa_servicios"
echo "(contraseña mapro-demo-2026) e inicie un PR.OTI.005; la administración está en /admin/."
# E-mail: without MAPRO_EMAIL_HOST nothing leaves the machine; each mail is a file under var/mail/.
if [ -n "${MAPRO_EMAIL_HOST:-}" ]; then
    echo "mapro: correo por SMTP a ${MAPRO_EMAIL_HOST} (docs/mail.md)"
else
    echo "mapro: el correo no sale de esta máquina: cada mensaje queda como archivo en $var/mail/ (docs/mail.md)"
fi
# The worker (Huey on SQLite): its periodic ticks start the scheduled cases (docs/schedules.md), expire
# validity and response windows, send the mail (reminders, escalations, daily digests, retries) and the
# supervision reports of each ended period.
.venv/bin/mapro run_huey --quiet &
worker=$!
trap 'kill "$worker" 2>/dev/null' EXIT
.venv/bin/mapro runserver "${serve_flags[@]}" "127.0.0.1:${PORT:-8000}"
