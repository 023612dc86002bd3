#!/usr/bin/env bash
# The test command: installs what is missing, builds, starts the throwaway PostgreSQL and
# Mosquitto, runs every test registered with CTest (output shown on failure), stops the
# services, and exits non-zero on any failure.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         extra arguments go to ctest (here: only unit tests)
#
# IOT_BUILD_DIR (default build/) and IOT_SANITIZE=ON (ASan + UBSan) change the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/setup.sh"

build=${IOT_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOT_SANITIZE="${IOT_SANITIZE:-OFF}" >/dev/null
cmake --build "$build" -j"$(nproc)"

export IOT_SERVICES_DIR="$build/services"
trap '"$root/scripts/services.sh" stop' EXIT
eval "$("$root/scripts/services.sh" start)"

cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 900 "$@"
