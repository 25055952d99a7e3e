#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test (unit and integration) with ctest.
# A test that could not run here is reported skipped (ctest's skip code); any skipped test not
# named in tests/skip-allowlist.txt fails the run, so a check that did not run never passes.
# env: CTEST_EXCLUDE (a ctest -E regex of tests not to run, e.g. in the sanitizer stage of CI)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/build.sh" "$@"
cd "$build"
build=$(pwd)  # BUILD_DIR may be relative
rc=0
ctest --output-on-failure -j"$(nproc)" ${CTEST_EXCLUDE:+-E "$CTEST_EXCLUDE"} 2>&1 |
  tee "$build/ctest.log" || rc=$?
# ctest's summary lists them as "\t <n> - <name> (Skipped)"
mapfile -t skipped < <(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (Skipped)$/\1/p' "$build/ctest.log")
allowed=$(sed 's/#.*//' "$top/tests/skip-allowlist.txt" | awk 'NF { print $1 }')
for t in "${skipped[@]}"; do
  if grep -qxF "$t" <<<"$allowed"; then
    echo "skipped (allowed: tests/skip-allowlist.txt): $t"
  else
    echo "FAIL: test skipped and not in tests/skip-allowlist.txt: $t"
    rc=1
  fi
done
exit $rc
