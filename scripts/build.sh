#!/usr/bin/env bash
# Installs the dependencies (when missing) and builds integral into build/ (or $BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DINTEGRAL_WERROR=ON.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" -G Ninja "$@" >/dev/null
cmake --build "$build" -- -j"$(nproc)" ${CMAKE_BUILD_QUIET:+--quiet}
