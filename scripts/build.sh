#!/usr/bin/env bash
# Installs the dependencies (when missing) and builds integral into build/ (or $BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DINTEGRAL_WERROR=ON.
# env: BUILD_TARGET=integral builds only the binary (and installs only build.list plus
#      $DEPS_LISTS); default: everything (tests, benchmarks, man pages) with every dependency
#      list.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
if [[ -n ${BUILD_TARGET:-} ]]; then
  # shellcheck disable=SC2086 # DEPS_LISTS is a list of names
  "$top/scripts/install-deps.sh" build ${DEPS_LISTS:-}
  parts=(-DINTEGRAL_TESTS=OFF -DINTEGRAL_BENCH=OFF -DINTEGRAL_DOCS=OFF)  # GoogleTest, pandoc may be missing
else
  "$top/scripts/install-deps.sh"
  parts=(-DINTEGRAL_TESTS=ON -DINTEGRAL_BENCH=ON -DINTEGRAL_DOCS=ON)  # pandoc: docs.list
fi
cmake -S "$top" -B "$build" -G Ninja "${parts[@]}" "$@" >/dev/null
cmake --build "$build" ${BUILD_TARGET:+--target "$BUILD_TARGET"} -- -j"$(nproc)" ${CMAKE_BUILD_QUIET:+--quiet}
