#!/usr/bin/env bash
# Fetches (does not install) systemd 254 from bookworm-backports: systemd (systemd-measure),
# libsystemd-shared and systemd-boot-efi (systemd-stub), unpacked with dpkg -x into a cached
# directory whose path it prints. apt runs with a private configuration (its own sources list,
# lists and cache in a temporary directory): the host's apt sources are not changed. Backports
# are built for bookworm, so the binaries run on its libc with the unpacked libsystemd-shared:
#   LD_LIBRARY_PATH=DIR/usr/lib/x86_64-linux-gnu/systemd DIR/usr/lib/systemd/systemd-measure
# usage: systemd-254.sh   (exit 4 with the reason when the archive cannot be reached)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
peer_begin systemd-254
mirror=$(debian_mirror) || peer_fail "no Debian archive in the host's apt sources"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt's download sandbox user must be able to write here
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" \
  >"$tmp/sources.list"
apt=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o Dir::State::status=/dev/null
  -o APT::Get::List-Cleanup=0 -q)
apt-get "${apt[@]}" --error-on=any update >"$tmp/update.log" 2>&1 ||
  peer_fail "apt-get update of bookworm-backports failed: $(grep -m1 -E "^(Err|W|E):" "$tmp/update.log")"
ver=$(apt-cache "${apt[@]}" show systemd 2>/dev/null | awk '/^Version: 254\./ { print $2; exit }' || true)
[[ -n $ver ]] || peer_fail "bookworm-backports has no systemd 254"
(cd "$tmp/debs" && apt-get "${apt[@]}" download "systemd=$ver" "libsystemd-shared=$ver" \
  "systemd-boot-efi=$ver" >"$tmp/download.log" 2>&1) ||
  peer_fail "apt-get download of systemd $ver failed: $(tail -1 "$tmp/download.log")"
rm -rf "$dir.new"
mkdir -p "$dir.new"
for deb in "$tmp"/debs/*.deb; do dpkg -x "$deb" "$dir.new"; done
echo "$ver" >"$dir.new/version"
touch "$dir.new/${ready##*/}"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "$dir"
