#!/usr/bin/env bash
# Times a linked device's history (docs/device-linking.md, "History") through a local Parley server on loopback: an
# account's device is given a generated history, then approves new devices one after another, each of which fetches,
# checks and imports the history. Prints a Markdown table for docs/benchmarks.md.
#
#   bench/link-history.sh [--messages 100000] [--conversations 50] [--runs 3]
#
# Release builds of the server (parley serve) and of bench/Parley.Client.Bench; the server's rate limits are raised so
# that the bundle's 4 MiB upload chunks are not throttled. Everything lives in a temporary folder removed at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# shellcheck source=scripts/local-server.sh
. "$here/scripts/local-server.sh"

echo "building parley and the client benchmark (Release)..." >&2
dotnet build "$here/src/Parley.Cli" -c Release -nologo -v q -clp:ErrorsOnly >&2
dotnet build "$here/bench/Parley.Client.Bench" -c Release -nologo -v q -clp:ErrorsOnly >&2
export PARLEY_DLL="$here/src/Parley.Cli/bin/Release/net10.0/parley.dll"

start_local_server --Parley:RequestsPerMinute 100000 --Parley:RequestsPerMinutePerAccount 100000 \
    --Parley:RequestsPerMinutePerAddress 100000 --Parley:AnonymousRequestsPerMinute 100000 || exit 1

dotnet "$here/bench/Parley.Client.Bench/bin/Release/net10.0/Parley.Client.Bench.dll" --link-history "$server_url" "$@"
