#!/usr/bin/env bash
# Fetches (does not install) Debian's signed boot chain with apt-get download: shim-signed's
# shimx64.efi.signed (signed by Microsoft's UEFI CA; Debian's CA built in) and
# grub-efi-amd64-signed's grubx64.efi.signed (signed by Debian). Cached: does nothing when DIR
# already holds both.
# usage: fetch-chain.sh [DIR]   (default: ${XDG_CACHE_HOME:-~/.cache}/integral/shim-grub)
set -euo pipefail
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/integral/shim-grub}
if [[ -s $dir/shimx64.efi && -s $dir/grubx64.efi && -s $dir/packages ]]; then
  echo "$dir"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
(cd "$tmp" && apt-get download -q shim-signed grub-efi-amd64-signed >/dev/null 2>&1) ||
  { echo "fetch-chain: apt-get download shim-signed grub-efi-amd64-signed failed" >&2; exit 4; }
mkdir -p "$tmp/x"
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
rm -rf "$dir.new"
mkdir -p "$dir.new"
cp "$tmp/x/usr/lib/shim/shimx64.efi.signed" "$dir.new/shimx64.efi"
cp "$tmp/x/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" "$dir.new/grubx64.efi"
for deb in "$tmp"/*.deb; do dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"; done \
  >"$dir.new/packages"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "$dir"
