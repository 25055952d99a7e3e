#!/usr/bin/env bash
# Installs everything integral needs to build and test, from Debian's archive only.
# Idempotent and quick when all is present: apt is touched only for what is missing.
# Usage: scripts/install-deps.sh [--fuzz]   (as root, or through sudo)
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config clang-format
  libssl-dev nlohmann-json3-dev libcli11-dev libfmt-dev libtomlplusplus-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # peers the tests and the example run against
  openssl swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0 busybox-static e2fsprogs xxd
)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-dev)
fi

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
