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

# shellcheck source=scripts/local-server.sh
. scripts/local-server.sh
start_local_server || exit 1
url="$server_url"
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

# The same two people in the browser: each person's own `parley web` on 127.0.0.1 (docs/web.md).
web_pids=""
trap 'for pid in $web_pids; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; stop_local_server' EXIT
browser="--no-browser"
if [ -t 0 ] && [ -t 1 ]; then browser=""; fi
echo; echo "Parley in the browser, for each of them:"
for who in alice bob; do
    ./parley.sh web --home "$work/$who" $browser >"$work/web-$who.log" 2>&1 &
    web_pids="$web_pids $!"
done
for who in alice bob; do
    line=""
    for _ in $(seq 1 300); do
        line="$(grep -m 1 '^Parley web: ' "$work/web-$who.log" || true)"
        [ -n "$line" ] && break
        sleep 0.2
    done
    [ -n "$line" ] || { echo "parley web did not start for $who:" >&2; cat "$work/web-$who.log" >&2; exit 1; }
    echo "  $who  ${line#Parley web: }"
done
if [ -t 0 ] && [ -t 1 ]; then
    echo "Each address works once (it carries a one-time key). Chat between the two tabs; Ctrl+C ends the demo."
    wait
fi
echo; echo "Stopping the server and deleting the demo's folders."
