#!/usr/bin/env bash
# Lays out the example's root trees beside a copy of its build description: a small busybox
# system per service VM and one for the host, each with its own hostname and init. Modes are
# normalized so the host's umask does not matter; owners, devices and labels come from the
# description (vm.manifest, file_contexts), never from this machine.
# usage: UKI=uki.efi make-trees.sh SRCDIR
#   -> SRCDIR/{build.toml,vm.manifest,file_contexts,uki.efi,disk.img,profile.bin,trees/*}
# UKI: the service VMs' Unified Kernel Image (run.sh builds one from Debian's kernel with
# examples/uefi-boot/build.sh), and the GPT boot disk beside it (disk.img, or DISK); profile.bin
# is the OVMF platform profile of examples/uefi-boot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: $0 SRCDIR}
busybox=${BUSYBOX:-/bin/busybox}
uki=${UKI:?set UKI to the UKI the service VMs boot (see run.sh)}
mkdir -p "$src"
cp "$here/build.toml" "$here/vm.manifest" "$here/file_contexts" "$src/"
cp "$uki" "$src/uki.efi"
cp "${DISK:-$(dirname "$uki")/disk.img}" "$src/disk.img"
cp "$here/../uefi-boot/profile-ovmf-q35.bin" "$src/profile.bin"
rm -rf "$src/trees"
for vm in ndvm uivm syncvm dom0; do
  t="$src/trees/$vm"
  mkdir -p "$t"/{bin,sbin,etc}
  cp "$busybox" "$t/bin/busybox"
  for applet in sh ls cat mount umount mkdir echo sha256sum poweroff; do
    ln -s busybox "$t/bin/$applet"
  done
  echo "$vm" >"$t/etc/hostname"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$t/etc/passwd"
  printf 'root:x:0:\n' >"$t/etc/group"
  printf '#!/bin/sh\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\necho "%s up"\nexec /bin/sh\n' \
    "$vm" >"$t/sbin/init"
  find "$t" -type d -exec chmod 0755 {} +
  find "$t" -type f -exec chmod 0644 {} +
done
