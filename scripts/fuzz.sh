#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for SECONDS (default 15)
# from the committed seed corpus. Longer runs by hand: scripts/fuzz.sh 600
# With FUZZ_RUNS=N each target instead runs exactly N inputs from seed 1, which is
# what CI uses: the same binary explores the same inputs (a time-boxed run explores differently
# on every machine; another build of the same source may still take other paths).
set -euo pipefail
# Undefined behaviour is a finding, as in CI: without halt_on_error UBSan only logs it and the
# run goes on (a campaign would report "no crash" over a logged report).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-15}
build=${BUILD_DIR:-$top/build-fuzz}
"$top/scripts/install-deps.sh" --fuzz
CXX=clang++ cmake -S "$top" -B "$build" -G Ninja -DINTEGRAL_FUZZ=ON -DINTEGRAL_TESTS=OFF \
  -DINTEGRAL_BENCH=OFF -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
cmake --build "$build" -- -j"$(nproc)" --quiet
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for target in "$build"/fuzz/fuzz_*; do
  name=$(basename "$target")
  corpus="$scratch/${name#fuzz_}"
  mkdir -p "$corpus"
  cp "$top/fuzz/corpus/${name#fuzz_}"/* "$corpus/" 2>/dev/null || true
  if [[ -n "${FUZZ_RUNS:-}" ]]; then
    budget=(-runs="$FUZZ_RUNS" -seed=1)
  else
    budget=(-max_total_time="$seconds")
  fi
  # -timeout: one input slower than 30 s is a finding (a backtracking regex once took
  # minutes); libFuzzer's own default would stall the run for 20 minutes first.
  if (cd "$scratch" && "$target" "$corpus" "${budget[@]}" -rss_limit_mb=2048 \
      -malloc_limit_mb=512 -timeout=30 >"$scratch/$name.log" 2>&1); then
    echo "fuzz: $name: $(grep -o 'Done [0-9]* runs' "$scratch/$name.log")"
  else
    echo "fuzz: $name FAILED"
    tail -40 "$scratch/$name.log"
    failed=1
  fi
done
exit $failed
