#!/usr/bin/env bash
# Builds the example's root image: a busybox system packed into ext4, byte-identical on every
# run and machine. Ownership, modes and every timestamp are set in the image, never taken
# from the build host's files.
# usage: build-rootfs.sh OUTDIR   -> OUTDIR/rootfs.img
set -euo pipefail
out=${1:?usage: $0 OUTDIR}
epoch=${SOURCE_DATE_EPOCH:-1700000000}
busybox=${BUSYBOX:-/bin/busybox}
tree="$out/rootfs"
rm -rf "$tree" "$out/rootfs.img"
mkdir -p "$tree"/{bin,sbin,etc,dev,proc,sys,tmp,root}

cp "$busybox" "$tree/bin/busybox"
for applet in sh ls cat mount umount mkdir echo sha1sum sha256sum poweroff; do
  ln -s busybox "$tree/bin/$applet"
done
cat >"$tree/etc/os-release" <<'OS'
NAME="integral example"
ID=integral-example
VERSION_ID=1
PRETTY_NAME="integral measured busybox example"
OS
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tree/etc/passwd"
printf 'root:x:0:\n' >"$tree/etc/group"
cat >"$tree/sbin/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "integral example booted"
exec /bin/sh
INIT
find "$tree" -type d -exec chmod 0755 {} +
find "$tree" -type f -exec chmod 0644 {} +
chmod 0755 "$tree/bin/busybox" "$tree/sbin/init"
chmod 1777 "$tree/tmp"
chmod 0700 "$tree/root"

# mke2fs -d copies host ctime/atime/uid; debugfs then pins them. Fixed UUID and hash seed;
# E2FSPROGS_FAKE_TIME fixes the superblock and creation times.
export E2FSPROGS_FAKE_TIME=$epoch
mke2fs -q -F -t ext4 -b 4096 -N 128 -d "$tree" \
  -U 6a1f3c52-9e1d-4f7b-a2c8-5d0e4b7a9c31 \
  -E hash_seed=0b8e2f64-7c1a-4d3e-9b5f-2a6c8d0e1f43,root_owner=0:0 \
  "$out/rootfs.img" 8M >/dev/null
(
  cd "$tree"
  find . | LC_ALL=C sort | sed 's|^\.$|/|; s|^\./|/|' | while read -r p; do
    for field in atime ctime mtime; do echo "sif \"$p\" $field @$epoch"; done
    echo "sif \"$p\" uid 0"
    echo "sif \"$p\" gid 0"
  done
) >"$out/rootfs.debugfs"
debugfs -w -f "$out/rootfs.debugfs" "$out/rootfs.img" >/dev/null 2>"$out/rootfs.debugfs.log"
e2fsck -fn "$out/rootfs.img" >/dev/null 2>&1
rm -rf "$tree" "$out/rootfs.debugfs"
