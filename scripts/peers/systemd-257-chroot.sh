#!/usr/bin/env bash
# Makes, once, a Debian 13 (trixie) root with systemd 257: systemd (systemd-measure),
# systemd-boot-efi (systemd-stub), systemd-ukify (ukify), binutils, and the TPM2 libraries
# systemd-measure loads to compute a signed policy (so `ukify build --pcr-private-key` runs), with mmdebstrap from the
# same archive as the host's apt, and prints its path. trixie's binaries need trixie's libc, so
# they run inside it: `chroot DIR ...` (as root), or without root through its own loader:
#   DIR/lib64/ld-linux-x86-64.so.2 --library-path DIR/usr/lib/x86_64-linux-gnu/systemd:\
#     DIR/usr/lib/x86_64-linux-gnu DIR/usr/lib/systemd/systemd-measure ...
# Reused when present; nothing on the host changes but the cache directory.
# usage: systemd-257-chroot.sh   (root; exit 4 with the reason when it cannot be made)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
peer_begin trixie-systemd .ready-tss2
command -v mmdebstrap >/dev/null || peer_fail "mmdebstrap is not installed (scripts/deps/uefi.list)"
[[ $(id -u) -eq 0 ]] || peer_fail "making the trixie root needs root"
mirror=$(debian_mirror) || peer_fail "no Debian archive in the host's apt sources"
rm -rf "$dir.new"
mkdir -p "$(dirname "$dir")"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! mmdebstrap --variant=apt --mode=root --quiet \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  --include=systemd,systemd-boot-efi,systemd-ukify,binutils,libtss2-esys-3.0.2-0t64,libtss2-mu-4.0.1-0t64,libtss2-rc0t64 \
  --dpkgopt='path-exclude=/usr/share/{doc,man,locale}/*' \
  trixie "$dir.new" "deb $mirror trixie main" >"$log" 2>&1; then
  rm -rf "$dir.new"
  peer_fail "mmdebstrap trixie failed: $(tail -3 "$log")"
fi
version=$(chroot "$dir.new" dpkg-query -W -f='${Version}' systemd)
[[ $version == 257.* ]] || { rm -rf "$dir.new"; peer_fail "trixie has systemd $version, not 257"; }
echo "$version" >"$dir.new/version"
touch "$dir.new/${ready##*/}"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "$dir"
