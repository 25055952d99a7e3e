#!/usr/bin/env bash
# Installs everything integral needs to build and test, from Debian's archive only.
# The package lists are scripts/deps/*.list (one package per line, # comments), one per area;
# fuzz.list only with --fuzz. Idempotent and quick when all is present: apt is touched only
# for what is missing.
# Usage: scripts/install-deps.sh [--fuzz]   (as root, or through sudo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

lists=()
for l in "$here"/deps/*.list; do
  [[ "$(basename "$l")" == fuzz.list && "${1:-}" != "--fuzz" ]] && continue
  lists+=("$l")
done
mapfile -t packages < <(sed 's/#.*//' "${lists[@]}" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q >/dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
