#!/usr/bin/env bash
# Starts or stops a private PostgreSQL server for Parley's tests and multi-node runs:
#   scripts/postgres.sh start   # installs PostgreSQL with apt-get if missing, starts it, prints the connection string
#   scripts/postgres.sh stop
#   scripts/postgres.sh status  # prints the connection string if it is running, exits 1 if not
# Listens on 127.0.0.1 only, on $PARLEY_POSTGRES_PORT (55432), with its data in $PARLEY_POSTGRES_DIR
# (/tmp/parley-pg). No systemd: initdb and pg_ctl run directly (as the postgres user when run as root).
# Both commands are idempotent. Progress goes to standard error; the connection string alone to standard output.
set -euo pipefail

port="${PARLEY_POSTGRES_PORT:-55432}"
root="${PARLEY_POSTGRES_DIR:-/tmp/parley-pg}"
data="$root/data"
log="$root/postgres.log"
user=parley
database=parley
connection="Host=127.0.0.1;Port=$port;Username=$user;Database=$database"

say() { echo "postgres.sh: $*" >&2; }

bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
    elif command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
    fi
}

install() {
    if [ -n "$(bindir)" ]; then
        return
    fi
    say "PostgreSQL is not installed; installing it with apt-get"
    if [ "$(id -u)" -ne 0 ]; then
        say "installing needs root; run: sudo apt-get install -y postgresql"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    # The Debian package starts a cluster of its own through systemd when it can; ours is separate.
}

# Runs a command as the database owner: the postgres account when we are root (initdb refuses root).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() {
    local bin="$1"
    [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
    install
    local bin
    bin=$(bindir)
    mkdir -p "$root"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$root"
    fi
    if running "$bin"; then
        say "already running on 127.0.0.1:$port"
        echo "$connection"
        return
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        say "creating a cluster in $data"
        as_owner "$bin/initdb" -D "$data" -U "$user" --auth=trust --encoding=UTF8 --locale=C >/dev/null
        cat >>"$data/postgresql.conf" <<EOF
# Parley (scripts/postgres.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$root'
max_connections = 300
fsync = on
synchronous_commit = on
deadlock_timeout = 200ms
log_min_messages = warning
EOF
    fi
    as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "-p $port" start >/dev/null || {
        say "PostgreSQL did not start; its log follows"
        tail -n 30 "$log" >&2 || true
        exit 1
    }
    if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
        as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -qc "CREATE DATABASE $database" >&2
    fi
    say "running on 127.0.0.1:$port (data in $data)"
    echo "$connection"
}

stop() {
    local bin
    bin=$(bindir)
    if [ -z "$bin" ] || ! running "$bin"; then
        say "not running"
        return
    fi
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    say "stopped"
}

status() {
    local bin
    bin=$(bindir)
    if [ -n "$bin" ] && running "$bin"; then
        echo "$connection"
    else
        say "not running"
        exit 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
