#!/usr/bin/env bash
# Installs what integral needs to build and test, from Debian's archive only.
# The package lists are scripts/deps/*.list (one package per line, # comments): build.list (the
# binary), then one per area for the tests' peers; fuzz.list only with --fuzz. Idempotent and
# quick when all is present: apt is touched only for what is missing.
# Usage: scripts/install-deps.sh [--fuzz] [LIST...]   (as root, or through sudo)
#   LIST: list names without .list (e.g. `build uefi`); default: every list but fuzz.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

fuzz=0
names=()
for a in "$@"; do
  case $a in
    --fuzz) fuzz=1 ;;
    -*) echo "install-deps: unknown option $a" >&2; exit 2 ;;
    *) names+=("$a") ;;
  esac
done
lists=()
if [[ ${#names[@]} -gt 0 ]]; then
  for n in "${names[@]}"; do
    [[ -f $here/deps/$n.list ]] || { echo "install-deps: no list scripts/deps/$n.list" >&2; exit 2; }
    lists+=("$here/deps/$n.list")
  done
else
  for l in "$here"/deps/*.list; do
    [[ "$(basename "$l")" == fuzz.list ]] && continue
    lists+=("$l")
  done
fi
((fuzz)) && lists+=("$here/deps/fuzz.list")
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
