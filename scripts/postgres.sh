#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for the test suite, separate from any system cluster.
#
#   scripts/postgres.sh start    create the cluster if missing, start it, print the MAPRO_DB_* variables
#   scripts/postgres.sh stop     stop it (nothing to do if it is not running)
#   scripts/postgres.sh status   exit 0 if it is running
#   eval "$(scripts/postgres.sh start)"   start it and export the variables into the current shell
#
# Only the `export` lines go to stdout; progress and errors go to stderr. Idempotent: `start` on a running
# cluster only checks it (well under a second).
#
# The server listens on 127.0.0.1 only, port $MAPRO_PG_PORT (default 54329, so it never collides with a
# system cluster on 5432). TCP connections from 127.0.0.1 are trusted for the role `mapro` only (CREATEDB,
# not superuser); the superuser is reachable only through the Unix socket inside the data directory, with
# peer authentication. This is a throwaway development/test cluster: fsync is off.
#
# initdb refuses to run as root, so when run as root the cluster belongs to the OS user $MAPRO_PG_OSUSER
# (default `postgres`, created by Debian's `postgresql` package); otherwise to the calling user.
#
# Data directory: $MAPRO_PGDATA if set; otherwise var/pgdata when that OS user can reach var/; otherwise
# (e.g. the checkout lives under a directory that user cannot read) /tmp/mapro-pg-<port>. The server log is
# var/postgresql-<port>.log, opened by the calling user so it works in both cases.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PORT="${MAPRO_PG_PORT:-54329}"
HOST=127.0.0.1
DB_NAME=mapro
DB_USER=mapro
LOG="$ROOT/var/postgresql-$PORT.log"

say() { echo "postgres.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

case "$PORT" in '' | *[!0-9]*) die "MAPRO_PG_PORT no es un número de puerto: $PORT" ;; esac

# The binaries: $MAPRO_PG_BIN, else Debian's PostgreSQL 15, else the newest installed version.
PG_BIN="${MAPRO_PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$PG_BIN/pg_ctl" ]; then
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$PG_BIN" ] && [ -x "$PG_BIN/pg_ctl" ] ||
        die "PostgreSQL no está instalado (paquete Debian postgresql); ejecute scripts/bootstrap.sh --dev"
fi

# Run a command as the cluster's OS user, from / so an unreadable working directory does not matter.
if [ "$(id -u)" = 0 ]; then
    OSUSER="${MAPRO_PG_OSUSER:-postgres}"
    id -u "$OSUSER" >/dev/null 2>&1 ||
        die "no existe el usuario del sistema $OSUSER (lo crea el paquete postgresql; o defina MAPRO_PG_OSUSER)"
    as_user() { (cd / && runuser -u "$OSUSER" -- "$@"); }
else
    OSUSER="$(id -un)"
    as_user() { (cd / && "$@"); }
fi

# Pick the data directory (see the header). An existing cluster wins, so the choice is stable.
pick_pgdata() {
    if [ -n "${MAPRO_PGDATA:-}" ]; then
        PGDATA="$MAPRO_PGDATA"
        return
    fi
    local in_var="$ROOT/var/pgdata" in_tmp="/tmp/mapro-pg-$PORT"
    if [ -f "$in_var/PG_VERSION" ] && as_user test -w "$in_var"; then
        PGDATA="$in_var"
    elif [ -f "$in_tmp/PG_VERSION" ]; then
        PGDATA="$in_tmp"
    elif [ -d "$ROOT/var" ] && as_user test -x "$ROOT/var"; then
        PGDATA="$in_var"
    else
        PGDATA="$in_tmp"
    fi
}

# The superuser talks to the server through a Unix socket in the data directory (mode 0700), or in /tmp
# when that path is longer than a socket address allows.
socket_dir() {
    if [ "$((${#PGDATA} + ${#PORT} + 10))" -lt 100 ]; then echo "$PGDATA"; else echo /tmp; fi
}

running() { [ -f "$PGDATA/postmaster.pid" ] && as_user "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

print_env() {
    say "PostgreSQL escucha en $HOST:$PORT (datos: $PGDATA, registro: $LOG)"
    cat <<EOF
export MAPRO_DB_ENGINE=postgresql
export MAPRO_DB_HOST=$HOST
export MAPRO_DB_PORT=$PORT
export MAPRO_DB_NAME=$DB_NAME
export MAPRO_DB_USER=$DB_USER
export MAPRO_DB_PASSWORD=
EOF
}

init_cluster() {
    say "creando el clúster en $PGDATA (usuario del sistema $OSUSER)"
    # /tmp is shared: never follow a planted symlink nor adopt a directory owned by someone else.
    [ -L "$PGDATA" ] && die "$PGDATA es un enlace simbólico; defina MAPRO_PGDATA"
    if [ -e "$PGDATA" ]; then
        local owner
        owner="$(stat -c %U "$PGDATA")"
        [ "$owner" = "$OSUSER" ] || [ "$owner" = "$(id -un)" ] || die "$PGDATA pertenece a $owner; defina MAPRO_PGDATA"
    fi
    if [ "$(id -u)" = 0 ]; then
        install -d -m 0700 -o "$OSUSER" -g "$(id -gn "$OSUSER")" "$PGDATA"
    else
        install -d -m 0700 "$PGDATA"
    fi
    as_user test -w "$PGDATA" || die "el usuario $OSUSER no puede escribir en $PGDATA; defina MAPRO_PGDATA"
    as_user "$PG_BIN/initdb" -D "$PGDATA" --username="$OSUSER" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=reject --no-sync >/dev/null ||
        die "initdb falló"
    # Settings live in mapro.conf, rewritten on every cold start; postgresql.conf only includes it.
    echo "include_if_exists = 'mapro.conf'" | as_user tee -a "$PGDATA/postgresql.conf" >/dev/null
}

write_config() {
    as_user tee "$PGDATA/mapro.conf" >/dev/null <<EOF
# Written by scripts/postgres.sh on every start: edit that script, not this file.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$(socket_dir)'
unix_socket_permissions = 0700
# A throwaway test cluster: durability is not needed, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    as_user tee "$PGDATA/pg_hba.conf" >/dev/null <<EOF
# Written by scripts/postgres.sh on every start.
# TYPE  DATABASE  USER       ADDRESS        METHOD
local   all       $OSUSER    peer
host    all       $DB_USER   127.0.0.1/32   trust
EOF
}

# Creates the role and the database when missing; cheap enough to run on every start.
ensure_role_and_db() {
    as_user "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(socket_dir)" -p "$PORT" -U "$OSUSER" -d postgres \
        >/dev/null <<EOF
SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$DB_USER')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') \gexec
ALTER ROLE "$DB_USER" LOGIN CREATEDB;
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$DB_USER')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME') \gexec
EOF
}

# Connects over TCP as the role the tests use (so run it after ensure_role_and_db: an unknown role is logged).
wait_ready() {
    local i
    for i in $(seq 1 120); do
        "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PORT" -U "$DB_USER" -d "$DB_NAME" && return 0
        sleep 0.25
    done
    die "PostgreSQL no acepta conexiones en $HOST:$PORT tras 30 s; vea $LOG"
}

start() {
    mkdir -p "$ROOT/var"
    pick_pgdata
    if running; then
        local running_port
        running_port="$(sed -n 4p "$PGDATA/postmaster.pid")"
        [ "$running_port" = "$PORT" ] ||
            die "el clúster $PGDATA ya está en ejecución en el puerto $running_port; deténgalo primero"
        ensure_role_and_db
        wait_ready
        print_env
        return
    fi
    # Something else on the port would make the tests talk to the wrong server.
    local probe=0
    "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PORT" -U "$DB_USER" -d postgres -t 2 || probe=$?
    if [ "$probe" -lt 2 ]; then
        die "otro servidor ya escucha en $HOST:$PORT; defina MAPRO_PG_PORT con otro puerto"
    fi
    [ -f "$PGDATA/PG_VERSION" ] || init_cluster
    write_config
    say "iniciando PostgreSQL ($PG_BIN) en $HOST:$PORT"
    # The log is opened here, by the calling user, so var/ need not be writable by $OSUSER.
    if ! as_user "$PG_BIN/pg_ctl" -D "$PGDATA" -w -t 60 start >>"$LOG" 2>&1; then
        tail -n 20 "$LOG" >&2 || true
        die "no se pudo iniciar PostgreSQL; vea $LOG"
    fi
    ensure_role_and_db
    wait_ready
    print_env
}

stop() {
    pick_pgdata
    if ! running; then
        say "PostgreSQL no está en ejecución ($PGDATA)"
        return
    fi
    as_user "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >>"$LOG" 2>&1 || die "no se pudo detener; vea $LOG"
    say "PostgreSQL detenido ($PGDATA)"
}

status() {
    pick_pgdata
    if running; then
        say "en ejecución en $HOST:$PORT ($PGDATA)"
    else
        say "detenido ($PGDATA)"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) die "uso: $0 start|stop|status" ;;
esac
