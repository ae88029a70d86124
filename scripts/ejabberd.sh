#!/usr/bin/env bash
# Starts or stops a private ejabberd (Debian's package) on loopback, the reference XMPP relay for bench/Parley.Load:
#   scripts/ejabberd.sh start             # installs ejabberd with apt-get if missing, starts it, prints its addresses
#   scripts/ejabberd.sh stop
#   scripts/ejabberd.sh status            # prints its addresses if it is running, exits 1 if not
#   scripts/ejabberd.sh register USER PASSWORD   # registers USER@localhost (through its HTTP API)
# The addresses come as one line on standard output:
#   c2s=127.0.0.1:55222 api=http://127.0.0.1:55280 pid=1234 version=23.01
# Everything lives in $PARLEY_EJABBERD_DIR (/tmp/parley-ejabberd): its own ejabberd.yml, ejabberdctl.cfg, Mnesia
# spool and logs. Ports: $PARLEY_EJABBERD_PORT (c2s, 55222), +58 (HTTP API), +66 (Erlang distribution, so no epmd).
# No systemd: ejabberdctl starts the node directly (as the ejabberd user when run as root). The configuration is for
# benchmarks on loopback only: no TLS, SASL PLAIN, no traffic shaping, no archive, users registered over the HTTP API.
# start and stop are idempotent. Progress goes to standard error.
set -euo pipefail

port="${PARLEY_EJABBERD_PORT:-55222}"
api_port=$((port + 58))
dist_port=$((port + 66))
root="${PARLEY_EJABBERD_DIR:-/tmp/parley-ejabberd}"
node="parleybench@localhost"

say() { echo "ejabberd.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        say "installing needs root; run: sudo apt-get install -y ejabberd"
        exit 1
    fi
}

install() {
    if [ -x /usr/sbin/ejabberdctl ]; then
        return
    fi
    say "ejabberd is not installed; installing it with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ejabberd curl >&2
}

# As root, run ejabberdctl as the ejabberd user through setpriv rather than letting it su: su's PAM session would
# reset the open-file limit to the login default (often 1024), and Erlang keeps the limit it is started with.
ctl() {
    local as=() home
    home="$(getent passwd ejabberd | cut -d: -f6)"
    if [ "$(id -u)" -eq 0 ]; then
        as=(setpriv --reuid=ejabberd --regid=ejabberd --init-groups env HOME="$home")
    elif [ "$(id -un)" != ejabberd ]; then
        as=(sudo -u ejabberd env HOME="$home")
    fi
    "${as[@]}" /usr/sbin/ejabberdctl --config-dir "$root/etc" --ctl-config "$root/etc/ejabberdctl.cfg" --spool "$root/spool" \
        --logs "$root/logs" --node "$node" "$@"
}

version() {
    dpkg-query -W -f='${Version}' ejabberd 2>/dev/null | sed 's/-.*//'
}

pid() {
    [ -f "$root/ejabberd.pid" ] && cat "$root/ejabberd.pid"
}

running() {
    local p
    p=$(pid 2>/dev/null || true)
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && curl -s -o /dev/null -X POST "http://127.0.0.1:$api_port/api/status" -d '{}'
}

addresses() {
    echo "c2s=127.0.0.1:$port api=http://127.0.0.1:$api_port pid=$(pid) version=$(version)"
}

configure() {
    mkdir -p "$root/etc" "$root/spool" "$root/logs"
    cp /etc/ejabberd/inetrc "$root/etc/inetrc"
    cat > "$root/etc/ejabberdctl.cfg" <<EOF
ERLANG_NODE=$node
ERL_DIST_PORT=$dist_port
INET_DIST_INTERFACE=127.0.0.1
ERL_MAX_PORTS=262144
ERL_PROCESSES=2000000
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_PID_PATH=$root/ejabberd.pid
EJABBERD_BYPASS_WARNINGS=true
EOF
    cat > "$root/etc/ejabberd.yml" <<EOF
# Written by scripts/ejabberd.sh: a loopback-only relay for benchmarks.
hosts:
  - localhost
loglevel: warning
log_rotate_count: 0
certfiles: []
listen:
  -
    port: $port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    shaper: none
    access: c2s
    starttls: false
    starttls_required: false
  -
    port: $api_port
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
auth_method: internal
auth_password_format: plain
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  local:
    allow: all
  c2s:
    allow: all
api_permissions:
  "loopback administration":
    who:
      ip: 127.0.0.0/8
    what:
      - "*"
shaper_rules:
  max_user_sessions: 10
  max_user_offline_messages: 100000
  c2s_shaper: none
modules:
  mod_offline: {}
EOF
    if [ "$(id -un)" != ejabberd ]; then
        as_root chown -R ejabberd:ejabberd "$root"
    fi
}

start() {
    install
    if running; then
        say "already running"
        addresses
        return
    fi
    # A fresh spool every start: users are registered by each benchmark run.
    if [ -d "$root" ]; then as_root rm -rf "$root"; fi
    configure
    say "starting ejabberd $(version) as $node"
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    (cd "$root" && ctl start)
    if ! (cd "$root" && ctl started) >/dev/null 2>&1; then
        say "ejabberd did not start; see $root/logs"
        exit 1
    fi
    for _ in $(seq 1 100); do
        running && break
        sleep 0.2
    done
    running || { say "ejabberd's HTTP API does not answer; see $root/logs"; exit 1; }
    addresses
}

stop() {
    if [ ! -f "$root/etc/ejabberdctl.cfg" ]; then
        say "not running"
        return
    fi
    if running; then
        (cd "$root" && ctl stop) >/dev/null 2>&1 || true
        (cd "$root" && ctl stopped) >/dev/null 2>&1 || true
        say "stopped"
    else
        say "not running"
    fi
}

register() {
    running || { say "not running; run: scripts/ejabberd.sh start"; exit 1; }
    curl -sf -X POST "http://127.0.0.1:$api_port/api/register" \
        -d "{\"user\":\"$1\",\"host\":\"localhost\",\"password\":\"$2\"}" >&2
    echo >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status)
        if running; then addresses; else say "not running"; exit 1; fi ;;
    register)
        [ $# -eq 3 ] || { say "usage: $0 register USER PASSWORD"; exit 2; }
        register "$2" "$3" ;;
    *) echo "usage: $0 start|stop|status|register USER PASSWORD" >&2; exit 2 ;;
esac
