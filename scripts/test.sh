#!/usr/bin/env bash
# Installs everything (system packages, Python packages) and runs every check and the whole test suite:
# once on SQLite (in memory) and, side by side, the engine/database tests (everything but the browser
# tests) again on the local PostgreSQL server started by scripts/postgres.sh. Both runs must pass.
# Arguments go to both pytest runs; the PostgreSQL run always adds -m "not browser" last, so browser tests
# never run twice. The PostgreSQL server is left running so the next run is fast: scripts/postgres.sh stop
# stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
export DJANGO_SETTINGS_MODULE=config.settings.test

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mapro makemigrations --check --dry-run >/dev/null
.venv/bin/mapro procedures validate

# pytest exits 5 when it collected no test: that is a failure here, never a silent pass. Only when
# arguments narrowed the selection may the PostgreSQL run legitimately find nothing (browser tests only).
run_pytest() {
    local label="$1" allow_empty="$2" status
    shift 2
    set +e
    .venv/bin/pytest "$@"
    status=$?
    set -e
    if [ "$status" = 5 ]; then
        if [ "$allow_empty" = 1 ]; then
            echo "pytest ($label): ninguna prueba seleccionada fuera de las de navegador" >&2
            return 0
        fi
        echo "pytest ($label) no ejecutó ninguna prueba" >&2
        return 1
    fi
    return "$status"
}

# The two runs go side by side (one per core of a two-core machine), each into its own log, printed whole
# when both are done; MAPRO_TEST_SERIAL=1 runs them one after the other instead.
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
sqlite_run() { (unset MAPRO_DB_ENGINE; run_pytest SQLite 0 "$@"); }
pg_run() {
    local pg_env
    if ! pg_env="$(scripts/postgres.sh start)"; then
        echo "no se pudo iniciar PostgreSQL" >&2
        return 1
    fi
    (eval "$pg_env"; run_pytest PostgreSQL "$(($# > 0))" "$@" -m "not browser")
}
sqlite_status=0
pg_status=0
if [ "${MAPRO_TEST_SERIAL:-0}" = 1 ]; then
    echo "== pytest (SQLite) =="
    sqlite_run "$@" || sqlite_status=$?
    echo "== pytest (PostgreSQL) =="
    pg_run "$@" || pg_status=$?
else
    echo "== pytest: SQLite y PostgreSQL en paralelo (registros completos al terminar) =="
    sqlite_run "$@" >"$logs/sqlite.log" 2>&1 &
    sqlite_pid=$!
    pg_run "$@" >"$logs/postgresql.log" 2>&1 &
    pg_pid=$!
    wait "$sqlite_pid" || sqlite_status=$?
    wait "$pg_pid" || pg_status=$?
    echo "== pytest (SQLite) =="
    cat "$logs/sqlite.log"
    echo "== pytest (PostgreSQL) =="
    cat "$logs/postgresql.log"
fi

echo "pytest: SQLite $([ "$sqlite_status" = 0 ] && echo ok || echo "FALLÓ ($sqlite_status)")," \
    "PostgreSQL $([ "$pg_status" = 0 ] && echo ok || echo "FALLÓ ($pg_status)")"
if [ "$sqlite_status" = 0 ] && [ "$pg_status" = 0 ]; then
    exit 0
fi
exit 1
