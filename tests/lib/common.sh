# Shared helpers for integration tests (bash). Source it; it sets `set -euo pipefail`.
# Every test gets a private scratch directory, removed on exit, and stops what it started by PID.
set -euo pipefail

: "${INTEGRAL:?INTEGRAL must point at the integral binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/integral-test.XXXXXX")
PIDS=()
cleanup() {
  local pid i
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
    # A daemon (a buildbot master) is not our child: wait, bounded, until it has gone before its
    # folder is removed under it (a master whose database vanishes mid-shutdown never exits).
    for ((i = 0; i < 300; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  # a child still writing (a buildbot master shutting down) can make one pass fail; the test's
  # verdict must not depend on that
  rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK" 2>/dev/null; } || true
}
trap cleanup EXIT

PASS=0
FAIL=0
SKIPPED=()
ok() { PASS=$((PASS + 1)); echo "ok: $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
# skip REASON: part of the test could not run here. The test still runs the rest, but it ends
# with ctest's skip code (77) unless something failed, so a check that did not run is never
# reported as a pass.
# expect_pass LABEL CMD...: CMD must exit 0 (its output is shown when it does not).
expect_pass() {
  local label=$1 out
  shift
  if out=$("$@" 2>&1); then
    ok "$label: $(head -1 <<<"$out")"
  else
    bad "$label"
    echo "$out"
  fi
}
# expect_exit CODE LABEL EXPECTED CMD...: CMD must exit CODE with EXPECTED (a fixed string) in
# its output (stdout and stderr).
expect_exit() {
  local code=$1 label=$2 expected=$3 out rc=0
  shift 3
  out=$("$@" 2>&1) || rc=$?
  if ((rc == code)) && grep -qF -- "$expected" <<<"$out"; then
    ok "$label: refused ($(head -1 <<<"$out"))"
  else
    bad "$label: exit $rc, expected $code with '$expected'"
    echo "$out"
  fi
}
# expect_refusal LABEL EXPECTED CMD...: CMD must exit 1 with EXPECTED in its output (a checker
# refusing a doctored input, naming what is wrong).
expect_refusal() { expect_exit 1 "$@"; }
# expect_bad_input LABEL EXPECTED CMD...: CMD must exit 3 (bad input) with EXPECTED in its
# output.
expect_bad_input() { expect_exit 3 "$@"; }
# expect_equal LABEL WANT GOT...: WANT (from the reference) is not empty and every GOT equals it.
expect_equal() {
  local label=$1 want=$2 got
  shift 2
  for got in "$@"; do
    if [[ -z $want || $got != "$want" ]]; then
      bad "$label: want '$want', got$(printf " '%s'" "$@")"
      return
    fi
  done
  ok "$label"
}
# doctor DIR SOURCE... -- EDIT...: DIR afresh, holding a copy of each SOURCE (a directory; a
# trailing /. copies its contents), then EDIT (a command) run inside it: an input for a checker
# to refuse.
doctor() {
  local dir=$1 sources=()
  shift
  while [[ $1 != -- ]]; do
    sources+=("$1")
    shift
  done
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -r "${sources[@]}" "$dir/"
  (cd "$dir" && "$@")
}
skip() { SKIPPED+=("$*"); echo "SKIP: $*"; }
finish() {
  echo "$PASS passed, $FAIL failed, ${#SKIPPED[@]} skipped"
  [[ $FAIL -eq 0 ]] || return 1
  if [[ ${#SKIPPED[@]} -gt 0 ]]; then
    printf 'skipped: %s\n' "${SKIPPED[@]}"
    exit 77
  fi
}
# skip_all REASON: nothing of this test can run here (a missing tool or permission).
skip_all() {
  echo "SKIP: $*"
  exit 77
}

# deterministic pseudo-random bytes: prng_bytes SEED COUNT > file
# (openssl dies of SIGPIPE when head has enough: not a failure here)
prng_bytes() {
  (
    set +o pipefail
    openssl enc -aes-128-ctr -pass "pass:$1" -nosalt -pbkdf2 </dev/zero 2>/dev/null | head -c "$2"
  )
}
