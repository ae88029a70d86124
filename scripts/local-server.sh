# shellcheck shell=bash
# Sourced by scripts that run a throwaway Parley server (scripts/demo.sh, bench/file-transfer.sh). Sourcing it makes
# a temporary folder, $work, that is deleted, with the server if one was started, however the script ends (finished,
# failed or Ctrl+C). `start_local_server [--Parley:Name value ...]` runs `parley serve` (through parley.sh, so
# PARLEY_DLL chooses the build) on a free loopback port with its data in $work/server, and sets $server_pid and
# $server_url.
work="$(mktemp -d "${TMPDIR:-/tmp}/parley.XXXXXX")"
server_pid=""
server_url=""
stop_local_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_local_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

local_server_parley="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/parley.sh"
start_local_server() {
    # parley.sh goes to the background itself (not a shell function around it) and replaces itself with the server,
    # so $! is the server's own process.
    "$local_server_parley" serve --data "$work/server" --urls http://127.0.0.1:0 "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
        server_url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/server.log" | head -n 1 || true)"
        [ -n "$server_url" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    echo "The server did not start:" >&2
    cat "$work/server.log" >&2
    return 1
}
