#!/usr/bin/env bash
# Fetches (does not install) systemd 254 from bookworm-backports: systemd (systemd-measure),
# libsystemd-shared and systemd-boot-efi (systemd-stub), unpacked with dpkg -x into a cached
# directory whose path it prints; and 254's ukify, which no binary package of bookworm-backports
# carries, from the same version's source package (src/ukify/ukify.py, run by Debian's python3
# with python3-pefile) as DIR/ukify.py. apt runs with a private configuration (its own sources list,
# lists and cache in a temporary directory): the host's apt sources are not changed. Backports
# are built for bookworm, so the binaries run on its libc with the unpacked libsystemd-shared:
#   LD_LIBRARY_PATH=DIR/usr/lib/x86_64-linux-gnu/systemd DIR/usr/lib/systemd/systemd-measure
# usage: systemd-254.sh   (exit 4 with the reason when the archive cannot be reached)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
peer_begin systemd-254 .ready-ukify
mirror=$(debian_mirror) || peer_fail "no Debian archive in the host's apt sources"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt's download sandbox user must be able to write here
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
for kind in deb deb-src; do
  echo "$kind [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main"
done >"$tmp/sources.list"
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
mkdir -p "$tmp/src"
chmod 777 "$tmp/src"
(cd "$tmp/src" && apt-get "${apt[@]}" source --download-only "systemd=$ver" >"$tmp/source.log" 2>&1) ||
  peer_fail "apt-get source of systemd $ver failed: $(tail -1 "$tmp/source.log")"
rm -rf "$dir.new"
mkdir -p "$dir.new"
for deb in "$tmp"/debs/*.deb; do dpkg -x "$deb" "$dir.new"; done
tar -xzf "$tmp"/src/systemd_*.orig.tar.gz -C "$tmp/src" --wildcards '*/src/ukify/ukify.py'
cp "$tmp"/src/*/src/ukify/ukify.py "$dir.new/ukify.py"
echo "$ver" >"$dir.new/version"
touch "$dir.new/${ready##*/}"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "$dir"
