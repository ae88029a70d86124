#!/usr/bin/env bash
# Coverage-guided fuzzing of Parley's decoders (docs/security.md, "Fuzzing").
#
#   scripts/fuzz.sh TARGET SECONDS     fuzz one target for SECONDS, starting from its corpus and regression inputs
#   scripts/fuzz.sh all SECONDS        every target in turn, SECONDS each
#   scripts/fuzz.sh list               the targets
#   scripts/fuzz.sh prepare            only install, build and instrument
#
# Installs what it needs (AFL++ from Debian's packages, the pinned sharpfuzz tool from .config/dotnet-tools.json),
# builds tests/Parley.Fuzz, instruments a copy of Parley's assemblies with SharpFuzz under artifacts/fuzz/bin and runs
# afl-fuzz. Exits non-zero, printing each input's path, when an input crashed a target or hung it; the findings stay in
# artifacts/fuzz/findings/TARGET. Options (before the target): --no-build uses the existing Release build of
# tests/Parley.Fuzz (what the tests do, after the solution build). Environment: PARLEY_FUZZ_TIMEOUT_MS (per input,
# default 5000: the machine may be busy), PARLEY_FUZZ_ARTIFACTS (default artifacts/fuzz), PARLEY_FUZZ_BUILD_OUTPUT (the
# build of tests/Parley.Fuzz to instrument, default its Release output), PARLEY_FUZZ_KEEP_GOING=1 (do not stop at the
# first crash: for long runs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build=1
if [ "${1:-}" = "--no-build" ]; then
    build=0
    shift
fi
command=${1:-}
seconds=${2:-}
usage() { echo "usage: scripts/fuzz.sh [--no-build] TARGET|all SECONDS | list | prepare" >&2; exit 2; }
[ -n "$command" ] || usage

artifacts=${PARLEY_FUZZ_ARTIFACTS:-$root/artifacts/fuzz}
output="${PARLEY_FUZZ_BUILD_OUTPUT:-$root/tests/Parley.Fuzz/bin/Release/net10.0}"
instrumented="$artifacts/bin"
# Parley's own assemblies are instrumented; the runtime, NSec and the fuzz driver itself are not.
assemblies=(Parley.Mls.dll Parley.Content.dll Parley.Client.dll Parley.Server.dll)

install_afl() {
    if command -v afl-fuzz >/dev/null 2>&1; then
        return
    fi
    echo "fuzz.sh: installing AFL++ from Debian's packages" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq afl++ >/dev/null
    command -v afl-fuzz >/dev/null 2>&1 || { echo "fuzz.sh: afl-fuzz is still missing after installing afl++" >&2; exit 1; }
}

prepare() {
    install_afl
    dotnet tool restore >/dev/null
    if [ "$build" -eq 1 ]; then
        dotnet build tests/Parley.Fuzz -c Release -nologo -v quiet >/dev/null
    fi
    [ -f "$output/Parley.Fuzz.dll" ] || { echo "fuzz.sh: $output/Parley.Fuzz.dll is missing; build tests/Parley.Fuzz -c Release" >&2; exit 1; }
    # Instrument again only when the build changed (SharpFuzz rewrites assemblies in place, once).
    local stamp
    stamp=$(cd "$output" && sha256sum Parley.Fuzz.dll "${assemblies[@]}")
    if [ -f "$instrumented/.stamp" ] && [ "$(cat "$instrumented/.stamp")" = "$stamp" ]; then
        return
    fi
    rm -rf "$instrumented"
    mkdir -p "$instrumented"
    cp -r "$output/." "$instrumented/"
    # One sharpfuzz process per assembly, side by side: most of each one's time is its own start-up.
    local pids=()
    for assembly in "${assemblies[@]}"; do
        dotnet sharpfuzz "$instrumented/$assembly" >/dev/null &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || { echo "fuzz.sh: sharpfuzz could not instrument an assembly" >&2; exit 1; }
    done
    printf '%s\n' "$stamp" >"$instrumented/.stamp"
}

targets() { dotnet "$output/Parley.Fuzz.dll" list | cut -f1; }

# Fuzzes one target; prints the executions, the rate and every crashing or hanging input.
fuzz_one() {
    local target=$1 seconds=$2
    local corpus="$root/tests/Parley.Fuzz/Corpus/$target" regressions="$root/tests/Parley.Fuzz/Regressions/$target"
    [ -d "$corpus" ] || { echo "fuzz.sh: no corpus for target '$target' (scripts/fuzz.sh list)" >&2; return 2; }
    local inputs="$artifacts/inputs/$target" findings="$artifacts/findings/$target"
    rm -rf "$inputs" "$findings"
    mkdir -p "$inputs" "$findings"
    cp "$corpus"/* "$inputs/"
    if [ -d "$regressions" ]; then
        for file in "$regressions"/*; do
            [ -f "$file" ] && cp "$file" "$inputs/regression-$(basename "$file")"
        done
    fi
    # AFL_SKIP_BIN_CHECK: the binary is dotnet, the coverage comes from the instrumented assemblies.
    # DOTNET_GCHeapHardLimit: a decoder that allocates what a length prefix claims fails with OutOfMemoryException (a crash)
    # instead of exhausting a shared machine. afl-fuzz stops at the first crash (AFL_BENCH_UNTIL_CRASH; PARLEY_FUZZ_KEEP_GOING=1
    # collects every crash for the whole time instead) or after SECONDS (-V).
    local status=0
    local settings=(AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
        AFL_QUIET=1 DOTNET_GCHeapHardLimit=0x20000000)
    if [ "${PARLEY_FUZZ_KEEP_GOING:-0}" != "1" ]; then
        settings+=(AFL_BENCH_UNTIL_CRASH=1)
    fi
    env "${settings[@]}" \
        afl-fuzz -i "$inputs" -o "$findings" -V "$seconds" -t "${PARLEY_FUZZ_TIMEOUT_MS:-5000}" -m none \
        -- dotnet "$instrumented/Parley.Fuzz.dll" fuzz "$target" >"$findings/afl.log" 2>&1 || status=$?
    local stats="$findings/default/fuzzer_stats"
    if [ ! -f "$stats" ]; then
        echo "fuzz.sh: afl-fuzz did not run target '$target' (exit $status); its log:" >&2
        tail -n 30 "$findings/afl.log" >&2
        return 1
    fi
    local execs rate paths elapsed
    execs=$(awk -F' *: *' '$1=="execs_done"{print $2}' "$stats")
    rate=$(awk -F' *: *' '$1=="execs_per_sec"{print $2}' "$stats")
    paths=$(awk -F' *: *' '$1=="corpus_count"{print $2}' "$stats")
    elapsed=$(awk -F' *: *' '$1=="run_time"{print $2}' "$stats")
    local found=()
    shopt -s nullglob
    for file in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
        found+=("$file")
    done
    shopt -u nullglob
    echo "$target: $execs executions in ${elapsed}s ($rate/s), $paths inputs in the queue, ${#found[@]} crashes or hangs"
    if [ "${#found[@]}" -gt 0 ]; then
        for file in "${found[@]}"; do
            echo "  crash: $file"
            echo "    replay: dotnet $output/Parley.Fuzz.dll replay $target '$file'"
        done
        return 1
    fi
    if [ "$status" -ne 0 ]; then
        echo "fuzz.sh: afl-fuzz exited with $status for target '$target'; its log:" >&2
        tail -n 30 "$findings/afl.log" >&2
        return 1
    fi
}

case "$command" in
    list)
        prepare
        targets
        ;;
    prepare)
        prepare
        ;;
    all)
        [ -n "$seconds" ] || usage
        prepare
        failed=0
        for target in $(targets); do
            fuzz_one "$target" "$seconds" || failed=1
        done
        exit "$failed"
        ;;
    *)
        [ -n "$seconds" ] || usage
        prepare
        fuzz_one "$command" "$seconds"
        ;;
esac
