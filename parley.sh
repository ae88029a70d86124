#!/usr/bin/env bash
# Runs the `parley` command from source: `./parley.sh --help`, `./parley.sh suites`, ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run --project "$here/src/Parley.Cli" -c Release -- "$@"
