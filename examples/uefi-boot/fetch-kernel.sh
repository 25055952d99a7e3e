#!/usr/bin/env bash
# Fetches (does not install) Debian's current kernel image package with apt-get download and
# keeps only what the example boots: vmlinuz, its config, and the modules the initramfs loads
# (virtio; device-mapper, dm-crypt and XTS for the LUKS2 root; ext4 to mount it). Cached: does nothing when DIR already holds a kernel.
# usage: fetch-kernel.sh [DIR]   (default: ${XDG_CACHE_HOME:-~/.cache}/integral/kernel)
set -euo pipefail
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/integral/kernel}
if [[ -s $dir/vmlinuz && -s $dir/modules/virtio_blk.ko && -s $dir/modules/dm-crypt.ko ]]; then
  echo "$dir"
  exit 0
fi
# linux-image-amd64 is a metapackage; resolve it to the versioned image package.
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[[ -n $pkg ]] || { echo "fetch-kernel: cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 4; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
  { echo "fetch-kernel: apt-get download $pkg failed" >&2; exit 4; }
mkdir -p "$tmp/x"
dpkg-deb --fsys-tarfile "$tmp"/*.deb |
  tar -C "$tmp/x" -x --wildcards './boot/vmlinuz-*' './boot/config-*' \
    './lib/modules/*/kernel/drivers/virtio/virtio.ko' \
    './lib/modules/*/kernel/drivers/virtio/virtio_ring.ko' \
    './lib/modules/*/kernel/drivers/virtio/virtio_pci.ko' \
    './lib/modules/*/kernel/drivers/virtio/virtio_pci_legacy_dev.ko' \
    './lib/modules/*/kernel/drivers/virtio/virtio_pci_modern_dev.ko' \
    './lib/modules/*/kernel/drivers/block/virtio_blk.ko' \
    './lib/modules/*/kernel/drivers/md/dm-mod.ko' './lib/modules/*/kernel/drivers/md/dm-crypt.ko' \
    './lib/modules/*/kernel/crypto/ecb.ko' './lib/modules/*/kernel/crypto/xts.ko' \
    './lib/modules/*/kernel/crypto/crc32c_generic.ko' './lib/modules/*/kernel/lib/crc16.ko' \
    './lib/modules/*/kernel/fs/mbcache.ko' './lib/modules/*/kernel/fs/jbd2/jbd2.ko' \
    './lib/modules/*/kernel/fs/ext4/ext4.ko'
rm -rf "$dir.new"
mkdir -p "$dir.new/modules"
cp "$tmp"/x/boot/vmlinuz-* "$dir.new/vmlinuz"
cp "$tmp"/x/boot/config-* "$dir.new/config"
find "$tmp/x/lib/modules" -name '*.ko' -exec cp {} "$dir.new/modules/" \;
echo "$pkg" >"$dir.new/package"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "$dir"
