#!/usr/bin/env bash
# The architecture's rules that a script can hold (ARCHITECTURE.md, "Include order"):
#  1. a library area includes only itself and the areas below it in LAYERS (so no cycle between
#     areas can exist);
#  2. commands (src/cli/) stay thin: no file over 250 lines.
# Usage: scripts/check-layers.sh [SOURCE_DIR]   (exit 1 naming every violation)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}

# Bottom-up. An area may include the areas before it, never one after it.
LAYERS=(util crypto tpm chain formats eventlog image predict reference poll build)
CLI_MAX_LINES=250

declare -A rank
for i in "${!LAYERS[@]}"; do rank[${LAYERS[$i]}]=$i; done

fail=0
complain() { echo "check-layers: $*" >&2; fail=1; }

shopt -s nullglob
for dir in "$root"/src/integral/*/; do
  area=$(basename "$dir")
  [[ -n ${rank[$area]+x} ]] || { complain "src/integral/$area/ is not in LAYERS (add it where it belongs)"; continue; }
  for f in "$dir"*.h "$dir"*.cpp; do
    rel=${f#"$root"/}
    while IFS=: read -r line inc; do
      [[ $inc =~ \#include\ \"integral/([a-z_0-9]+)/ ]] || continue
      to=${BASH_REMATCH[1]}
      if [[ -z ${rank[$to]+x} ]]; then
        complain "$rel:$line includes unknown area '$to'"
      elif (( rank[$to] > rank[$area] )); then
        complain "$rel:$line: $area includes $to, an area above it"
      fi
    done < <(grep -n '^#include "integral/' "$f" || true)
  done
done

for f in "$root"/src/cli/*.cpp "$root"/src/cli/*.h; do
  n=$(wc -l < "$f")
  (( n <= CLI_MAX_LINES )) || complain "${f#"$root"/} has $n lines; commands stay under $CLI_MAX_LINES (move the work into the library)"
done

(( fail == 0 )) && echo "check-layers: ${#LAYERS[@]} areas in order, commands thin"
exit $fail
