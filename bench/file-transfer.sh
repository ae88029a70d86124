#!/usr/bin/env bash
# Sends one file from alice to bob through a local Parley server with the real `parley` command (Release build), and
# prints the wall time and peak resident memory (GNU time's "Maximum resident set size") of the sending and the
# receiving run, as one Markdown table row for docs/benchmarks.md.
#
#   bench/file-transfer.sh [SIZE_MIB]      # default 1024 (1 GiB); the file is random bytes
#
# Both homes use the default Argon2id store key (64 MiB), as a person's would; the server's rate limits are raised so
# that the upload's 4 MiB chunks are not throttled. Everything lives in a temporary folder removed at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib="${1:-1024}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NO_COLOR=1 PARLEY_PASSPHRASE="file transfer benchmark"

# shellcheck source=scripts/local-server.sh
. "$here/scripts/local-server.sh"

echo "building parley (Release)..." >&2
dotnet build "$here/src/Parley.Cli" -c Release -nologo -v q -clp:ErrorsOnly >&2
dll="$here/src/Parley.Cli/bin/Release/net10.0/parley.dll"
export PARLEY_DLL="$dll"

start_local_server --Parley:RequestsPerMinute 100000 --Parley:RequestsPerMinutePerAccount 100000 \
    --Parley:RequestsPerMinutePerAddress 100000 --Parley:AnonymousRequestsPerMinute 100000 || exit 1
server="$server_url"

parley() { local home="$1"; shift; dotnet "$dll" --home "$work/$home" --server "$server" "$@"; }
# Runs parley under GNU time; sets $seconds (wall) and $rss_mib (peak resident set) for the run.
timed() {
    local log="$work/time.log"
    /usr/bin/time -v -o "$log" dotnet "$dll" --home "$work/$1" --server "$server" "${@:2}" >"$work/out.log"
    seconds="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.1f", s }' "$log")"
    rss_mib="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$log")"
}

parley alice account create alice >/dev/null
parley bob account create bob >/dev/null
parley alice send bob "a file follows" >/dev/null
parley bob receive >/dev/null

file="$work/payload.bin"
echo "writing ${size_mib} MiB of random bytes..." >&2
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$file"

echo "sending..." >&2
timed alice send-file bob "$file"
send_s="$seconds" send_rss="$rss_mib"
echo "receiving..." >&2
timed bob receive --download-dir "$work/downloads"
receive_s="$seconds" receive_rss="$rss_mib"

if ! cmp -s "$file" "$work/downloads/payload.bin"; then
    echo "the received file differs from the sent one" >&2
    exit 1
fi

echo "| $(date -u +%F) | ${size_mib} MiB | ${send_s} s | ${send_rss} MiB | ${receive_s} s | ${receive_rss} MiB | $(uptime | sed 's/.*load average: //') |"
