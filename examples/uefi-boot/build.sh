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

# The UKI. Section addresses: the 252 stub ends below 0x20000 and the kernel fits below
# 0x3000000; systemd-stub only needs them not to overlap.
rm -f "$out/uki.efi"
objcopy \
  --add-section .osrel="$out/os-release" --change-section-vma .osrel=0x20000 \
  --add-section .cmdline="$out/cmdline.txt" --change-section-vma .cmdline=0x30000 \
  --add-section .linux="$out/vmlinuz" --change-section-vma .linux=0x2000000 \
  --add-section .initrd="$out/initrd.img" --change-section-vma .initrd=0x3000000 \
  "$stub" "$out/uki.efi"
# objcopy (binutils 2.40) writes the current time into the COFF TimeDateStamp (e_lfanew+8),
# which Authenticode covers (PCR 4), and ignores SOURCE_DATE_EPOCH there: pin it. Zero the
# CheckSum (e_lfanew+88): Authenticode skips it and UEFI does not check it.
pe=$(od -An -tu4 -j 60 -N4 "$out/uki.efi" | tr -d ' ')
printf '%08x' "$epoch" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/' | xxd -r -p |
  dd of="$out/uki.efi" bs=1 seek=$((pe + 8)) conv=notrunc status=none
printf '\000\000\000\000' | dd of="$out/uki.efi" bs=1 seek=$((pe + 88)) conv=notrunc status=none

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
