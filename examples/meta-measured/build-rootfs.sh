#!/usr/bin/env bash
# Builds the example's root image: a busybox system packed into ext4 by `integral mkfs`,
# SELinux-labelled, byte-identical on every run and machine. Ownership, modes, device nodes
# and every timestamp are set in the image, never taken from the build host's files.
# usage: build-rootfs.sh OUTDIR   -> OUTDIR/rootfs.img
# env: IMA_MOUNT_POINT (also write OUTDIR/rootfs.ima-policy.json, the image's files as a keylime
#      runtime policy for a system that mounts the image there)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: $0 OUTDIR}
integral=${INTEGRAL:-$here/../../build/integral}
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
# (modes are normalized here so the host's umask does not matter; the manifest has the rest)
find "$tree" -type d -exec chmod 0755 {} +
find "$tree" -type f -exec chmod 0644 {} +

# integral mkfs: owners, modes and device nodes from the manifest, SELinux labels from the
# example's file_contexts, every timestamp from SOURCE_DATE_EPOCH; fixed UUID and hash seed.
SOURCE_DATE_EPOCH=$epoch "$integral" mkfs --tree "$tree" --manifest "$here/rootfs.manifest" \
  --file-contexts "$here/file_contexts" --type ext4 --size 8M \
  --uuid 6a1f3c52-9e1d-4f7b-a2c8-5d0e4b7a9c31 --hash-seed 0b8e2f64-7c1a-4d3e-9b5f-2a6c8d0e1f43 \
  ${IMA_MOUNT_POINT:+--ima-policy "$out/rootfs.ima-policy.json" --ima-mount-point "$IMA_MOUNT_POINT"} \
  -o "$out/rootfs.img" >/dev/null
e2fsck -fn "$out/rootfs.img" >/dev/null 2>&1
rm -rf "$tree"
