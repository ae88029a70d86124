#!/usr/bin/env bash
# Runs the `parley` command from source: `./parley.sh --help`, `./parley.sh serve ...`, ...
# The first run builds it (Release, into src/Parley.Cli/bin); later runs start the built binary at once, and build
# again only when a source file was added, removed or changed since. PARLEY_DLL=path/to/parley.dll runs that build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ -n "${PARLEY_DLL:-}" ]; then
    exec dotnet "$PARLEY_DLL" "$@"
fi

dll="$here/src/Parley.Cli/bin/Release/net10.0/parley.dll"
stamp="$here/src/Parley.Cli/bin/Release/parley.sh.stamp"
# What the build reads: every file under src/ (not bin/ or obj/) with its time, and the build settings at the root.
sources() {
    cd "$here" && find src \( -name bin -o -name obj \) -prune -o -type f -printf '%p %T@\n' \
        && find Directory.Build.props Directory.Packages.props global.json -printf '%p %T@\n' 2>/dev/null || true
}
current="$(sources | sort | cksum)"
if [ ! -f "$dll" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$current" ]; then
    echo "parley.sh: building parley (about a minute the first time)..." >&2
    dotnet build "$here/src/Parley.Cli" -c Release -nologo -v m -clp:NoSummary >&2
    printf '%s\n' "$current" >"$stamp"
fi
exec dotnet "$dll" "$@"
