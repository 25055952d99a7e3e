#!/usr/bin/env bash
# clang-format every C++ file (tracked, or new and not ignored; every one under the source
# folders when this is not a git checkout, as in CI's copy); with --check, only report
# (non-zero exit) what is not formatted. Files already formatted are not rewritten, so their
# timestamps stay and builds stay incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h')
else
  mapfile -t files < <(find src bench fuzz tests examples -name '*.cpp' -o -name '*.h' | sort)
fi
if [[ ${#files[@]} -eq 0 ]]; then
  echo "format: no C++ files found" >&2
  exit 1
fi
if [[ "${1:-}" == "--check" ]]; then
  clang-format --dry-run -Werror "${files[@]}"
  echo "format: ${#files[@]} files checked"
else
  for f in "${files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || clang-format -i "$f"
  done
fi
