#!/usr/bin/env bash
# Starts a Parley server on a free local port, creates two people (alice and bob) in temporary homes,
# and has them exchange end-to-end encrypted messages through it. Everything it started is stopped and
# everything it wrote is deleted when it ends, however it ends (finished, failed or Ctrl+C).
# PARLEY_DLL=path/to/parley.dll runs that build of parley instead of building one (see parley.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# parley.sh builds parley the first time (showing its progress) and starts the built binary after that.
parley() { ./parley.sh "$@"; }
parley --version >/dev/null

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# parley.sh goes to the background itself (not a shell function around it) and replaces itself with the server, so
# $! is the server's own process.
./parley.sh serve --data "$work/server" --urls http://127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 150); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/server.log" | head -n 1 || true)"
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
[ -n "$url" ] || { echo "The server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
echo "Server running at $url (process $server_pid)"

# Each person's device keeps its keys and history in its own encrypted home.
export PARLEY_SERVER="$url" PARLEY_PASSPHRASE="demo passphrase"
parley --home "$work/alice" account create alice
parley --home "$work/bob" account create bob

echo; echo '$ parley send bob "Hi Bob, this is end-to-end encrypted."      (as alice)'
parley --home "$work/alice" send bob "Hi Bob, this is end-to-end encrypted."
echo; echo '$ parley receive      (as bob)'
parley --home "$work/bob" receive
echo; echo '$ parley send alice "Hi Alice! Got it."      (as bob)'
parley --home "$work/bob" send alice "Hi Alice! Got it."
echo; echo '$ parley receive      (as alice)'
parley --home "$work/alice" receive
echo; echo '$ parley verify bob      (as alice: compare this number with bob'"'"'s)'
parley --home "$work/alice" verify bob
echo; echo "Stopping the server and deleting the demo's folders."
