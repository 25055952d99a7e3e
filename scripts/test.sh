#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test (unit and integration) with ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/build.sh" "$@"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
