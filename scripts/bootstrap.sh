#!/usr/bin/env bash
# Installs everything mapro needs on a fresh Debian machine: system packages, a virtualenv in .venv,
# the package with its pinned dependencies (and the dev extras with --dev). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

# Debian packages: Pango/Cairo for WeasyPrint and CairoSVG, fonts for documents; PostgreSQL and
# Chromium only for the test suite.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libcairo2 fonts-dejavu-core poppler-utils)
[ "$dev" = 1 ] && packages+=(postgresql chromium)
# npm installs the web app's front-end assets (below).
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "Instalando paquetes Debian: ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$dev" = 1 ]; then
    .venv/bin/pip install -q -e ".[dev]"
else
    .venv/bin/pip install -q -e .
fi

# Front-end assets (htmx, bpmn-js): pinned by package-lock.json, fetched from the npm registry and copied
# with their licences into web/static/vendor/, which Django serves (docs/decisions/0007-frontend-assets.md).
# node_modules also holds axe-core, which only the browser tests read (it is never served).
if [ ! -f web/static/vendor/versions.json ] || [ package-lock.json -nt web/static/vendor/versions.json ] \
    || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    npm run --silent vendor
fi
