#!/usr/bin/env bash
# Starts or stops a private Redis server for Parley's tests and multi-node runs (pub/sub only):
#   scripts/redis.sh start   # installs redis-server with apt-get if missing, starts it, prints host:port
#   scripts/redis.sh stop
#   scripts/redis.sh status  # prints host:port if it is running, exits 1 if not
# Listens on 127.0.0.1 only, on $PARLEY_REDIS_PORT (56379), with its pid and log in $PARLEY_REDIS_DIR
# (/tmp/parley-redis). No systemd: redis-server --daemonize yes. Nothing is persisted (pub/sub keeps no state).
# Both commands are idempotent. Progress goes to standard error; the address alone to standard output.
set -euo pipefail

port="${PARLEY_REDIS_PORT:-56379}"
root="${PARLEY_REDIS_DIR:-/tmp/parley-redis}"
pidfile="$root/redis.pid"
address="127.0.0.1:$port"

say() { echo "redis.sh: $*" >&2; }

install() {
    if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
        return
    fi
    say "Redis is not installed; installing it with apt-get"
    if [ "$(id -u)" -ne 0 ]; then
        say "installing needs root; run: sudo apt-get install -y redis-server"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >&2
}

running() {
    command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" = "PONG" ]
}

start() {
    install
    if running; then
        say "already running on $address"
        echo "$address"
        return
    fi
    mkdir -p "$root"
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --pidfile "$pidfile" --logfile "$root/redis.log" \
        --dir "$root" --save "" --appendonly no --protected-mode yes >/dev/null
    for _ in $(seq 1 100); do
        if running; then
            say "running on $address"
            echo "$address"
            return
        fi
        sleep 0.1
    done
    say "Redis did not start; its log follows"
    tail -n 30 "$root/redis.log" >&2 || true
    exit 1
}

stop() {
    if ! running; then
        say "not running"
        return
    fi
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do
        if ! running; then
            say "stopped"
            return
        fi
        sleep 0.1
    done
    if [ -f "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
    say "stopped"
}

status() {
    if running; then
        echo "$address"
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
