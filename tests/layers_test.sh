#!/usr/bin/env bash
# scripts/check-layers.sh (the include order of ARCHITECTURE.md and thin commands) passes on the
# tree, and fails naming the file on copies doctored the ways the rules get broken: an area
# including an area above it (which is also how a cycle between two areas would start), an
# area missing from the order, a command grown past 250 lines.
. "$(dirname "$0")/lib/common.sh"
src=${INTEGRAL_SOURCE_DIR:?}
check=$src/scripts/check-layers.sh

expect_pass "check-layers passes on the tree" "$check" "$src"

# doctored NAME EXPECTED EDIT...: a copy of src/ and scripts/, EDIT run in it; check-layers must
# exit 1 with EXPECTED in its message.
doctored() {
  local name=$1 expected=$2
  shift 2
  doctor "$WORK/$name" "$src/src" "$src/scripts" -- "$@"
  expect_refusal "$name" "$expected" "$WORK/$name/scripts/check-layers.sh" "$WORK/$name"
}

# chain (below eventlog) reaching up into eventlog: the back arrow txt/ once made.
doctored upward "src/integral/chain/replay.cpp:1: chain includes eventlog, an area above it" \
  sed -i '1i #include "integral/eventlog/tcg_log.h"' src/integral/chain/replay.cpp
doctored unknown-area "src/integral/txt/ is not in LAYERS" \
  bash -c 'mkdir src/integral/txt && touch src/integral/txt/x.h'
doctored fat-command "src/cli/hash.cpp has 251 lines" \
  bash -c 'n=$(wc -l < src/cli/hash.cpp); for ((i = n; i < 251; i++)); do echo "// pad" >> src/cli/hash.cpp; done'

finish
