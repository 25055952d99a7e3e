#!/usr/bin/env bash
# Builds the example's boot artifacts, byte-identical on every run for the same kernel:
#   initrd.img  busybox initramfs (init.sh as /init, the virtio modules), reproducible cpio
#   uki.efi     Unified Kernel Image: Debian's systemd-stub + kernel + initrd + cmdline +
#               os-release, assembled with objcopy; PE timestamp pinned, checksum zeroed
#   esp.img     FAT ESP holding the UKI as \EFI\BOOT\BOOTX64.EFI (bare FAT: no GPT event)
#   rootfs.img  the root image the initramfs measures (examples/meta-measured/build-rootfs.sh)
# usage: build.sh KERNEL_DIR OUTDIR
# env: KERNEL_CMDLINE, OS_RELEASE (contents), INITRD_EXTRA (a file added to the initramfs as
#      /etc/extra), UKI_ONLY=1 (skip the ESP and the root image), SIGN_KEY + SIGN_CERT (sign
#      the UKI with sbsign; the unsigned one is kept as uki-unsigned.efi; SIGN_KEY_PASS: the
#      key's passphrase)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/uki.sh"
kernel=${1:?usage: $0 KERNEL_DIR OUTDIR}
out=${2:?usage: $0 KERNEL_DIR OUTDIR}
stub=${EFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
busybox=${BUSYBOX:-/bin/busybox}
epoch=${SOURCE_DATE_EPOCH:-1700000000}
cmdline=${KERNEL_CMDLINE:-console=ttyS0 quiet loglevel=1 panic=-1 integral.measure_pcr=16}
mkdir -p "$out"

# initramfs: fixed mtimes, sorted names, owner root, no gzip timestamp
tree="$out/initramfs"
rm -rf "$tree"
mkdir -p "$tree"/{bin,dev,proc,sys,lib/modules}
cp "$busybox" "$tree/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$tree/bin/$applet"
done
cp "$kernel"/modules/*.ko "$tree/lib/modules/"
install -m 0755 "$here/init.sh" "$tree/init"
if [[ -n ${INITRD_EXTRA:-} ]]; then
  mkdir -p "$tree/etc"
  cp "$INITRD_EXTRA" "$tree/etc/extra"
fi
find "$tree" -exec touch -h -d "@$epoch" {} +
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
  gzip -9 -n >"$out/initrd.img"
rm -rf "$tree"

cp "$kernel/vmlinuz" "$out/vmlinuz"
printf '%s' "$cmdline" >"$out/cmdline.txt"
printf '%s' "${OS_RELEASE:-ID=integral-example
NAME=\"integral measured UEFI example\"
VERSION_ID=1
}" >"$out/os-release"

# The UKI (uki.sh), its timestamp pinned to the epoch.
rm -f "$out/uki.efi"
assemble_uki "$stub" "$out/uki.efi" "$out/vmlinuz" "$out/os-release" "$out/cmdline.txt" \
  "$out/initrd.img" "$epoch"

if [[ -n ${SIGN_KEY:-} ]]; then
  # sbsign cannot be given a passphrase: decrypt the key first (SIGN_KEY_PASS; Debian's
  # snakeoil key's is "snakeoil", README.Debian of ovmf).
  key=$SIGN_KEY
  if [[ -n ${SIGN_KEY_PASS:-} ]]; then
    key="$out/sign.key"
    (umask 077 && openssl pkey -in "$SIGN_KEY" -passin "pass:$SIGN_KEY_PASS" -out "$key")
  fi
  mv "$out/uki.efi" "$out/uki-unsigned.efi"
  sbsign --key "$key" --cert "${SIGN_CERT:?SIGN_KEY needs SIGN_CERT}" \
    --output "$out/uki.efi" "$out/uki-unsigned.efi" >"$out/sbsign.log" 2>&1 ||
    { cat "$out/sbsign.log" >&2; exit 4; }
  [[ $key == "$SIGN_KEY" ]] || rm -f "$key"
fi

[[ -n ${UKI_ONLY:-} ]] && exit 0

# ESP: 32 MiB FAT (its serial number and timestamps are not measured)
rm -f "$out/esp.img"
mkfs.vfat -C -n ESP "$out/esp.img" 32768 >/dev/null
mmd -i "$out/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$out/esp.img" "$out/uki.efi" ::/EFI/BOOT/BOOTX64.EFI

SOURCE_DATE_EPOCH=$epoch "$here/../meta-measured/build-rootfs.sh" "$out"
