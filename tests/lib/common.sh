# Shared helpers for integration tests (bash). Source it; it sets `set -euo pipefail`.
# Every test gets a private scratch directory, removed on exit, and stops what it started by PID.
set -euo pipefail

: "${INTEGRAL:?INTEGRAL must point at the integral binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/integral-test.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok: $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
finish() {
  echo "$PASS passed, $FAIL failed"
  [[ $FAIL -eq 0 ]]
}

# deterministic pseudo-random bytes: prng_bytes SEED COUNT > file
# (openssl dies of SIGPIPE when head has enough: not a failure here)
prng_bytes() {
  (
    set +o pipefail
    openssl enc -aes-128-ctr -pass "pass:$1" -nosalt -pbkdf2 </dev/zero 2>/dev/null | head -c "$2"
  )
}
