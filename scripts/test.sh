#!/usr/bin/env bash
# Runs every test project of Parley and prints the totals as "N passed, N failed, N skipped".
# Exits non-zero if any test failed or if no test ran at all.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="${PARLEY_TEST_RESULTS:-$PWD/TestResults}"
rm -rf "$results"
mkdir -p "$results"

# --- BEGIN scale-out services (tests/Parley.Server.Postgres.Tests) ---------------------------------
# PostgreSQL and Redis for the multi-node tests, on 127.0.0.1 (scripts/postgres.sh, scripts/redis.sh
# install them with apt-get when missing). Whatever this script starts it stops on exit. If one cannot
# start, the tests that need it start it themselves and fail, so the totals show it.
scale_out_stop=""
for service in postgres redis; do
    if ! "scripts/$service.sh" status >/dev/null 2>&1; then
        scale_out_stop="$scale_out_stop $service"
    fi
    if address=$("scripts/$service.sh" start); then
        case "$service" in
            postgres) export PARLEY_TEST_POSTGRES="$address" ;;
            redis) export PARLEY_TEST_REDIS="$address" ;;
        esac
    else
        echo "test.sh: $service did not start; its tests will fail" >&2
    fi
done
trap 'for service in $scale_out_stop; do "scripts/$service.sh" stop >/dev/null 2>&1 || true; done' EXIT
# --- END scale-out services ------------------------------------------------------------------------

# Debian's Chromium for the web app's browser tests (tests/Parley.Web.Tests); Playwright drives /usr/bin/chromium and
# never downloads a browser. Without root, install it first: sudo apt-get install -y chromium.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
        || echo "test.sh: chromium did not install; the web app's tests will fail" >&2
fi

# The ts-mls peer of the MLS interop tests (pinned in tests/interop-ts/package-lock.json), with the KEM packages of its
# post-quantum suites.
if [ ! -d tests/interop-ts/node_modules/ts-mls ] || [ ! -d tests/interop-ts/node_modules/@hpke/hybridkem-x-wing ] \
    || [ ! -d tests/interop-ts/node_modules/@hpke/ml-kem ]; then
    npm ci --prefix tests/interop-ts --no-audit --no-fund --loglevel=error
fi

status=0
dotnet test Parley.slnx -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

passed=0 failed=0 skipped=0 total=0
shopt -s nullglob
for trx in "$results"/*.trx; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
    t=$(get total); p=$(get passed); f=$(get failed); e=$(get error); n=$(get notExecuted)
    total=$((total + t)); passed=$((passed + p)); failed=$((failed + f + e)); skipped=$((skipped + n))
done

if [ "$total" -eq 0 ]; then
    echo "No test ran." >&2
    status=1
fi
if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then
    status=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
