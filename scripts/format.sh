#!/usr/bin/env bash
# clang-format every C++ file (tracked, or new and not ignored); with --check, only report
# (non-zero exit) what is not formatted. Files already formatted are not rewritten, so their
# timestamps stay and builds stay incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h')
if [[ "${1:-}" == "--check" ]]; then
  clang-format --dry-run -Werror "${files[@]}"
else
  for f in "${files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || clang-format -i "$f"
  done
fi
