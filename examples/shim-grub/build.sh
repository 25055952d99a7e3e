#!/usr/bin/env bash
# Builds the shim/GRUB example's boot disk, laid out as Debian installs it:
#   esp/        the EFI system partition's files: \EFI\BOOT\BOOTX64.EFI (Debian's signed shim),
#               \EFI\BOOT\grubx64.efi (Debian's signed GRUB, which reads \EFI\debian\grub.cfg:
#               its built-in prefix; esp-grub.cfg, which hands over to /boot)
#   boot/       the /boot partition's files: vmlinuz (Debian's signed kernel), initrd.img,
#               grub/grub.cfg (grub.cfg here, in grub-mkconfig's form), grub/grubenv
#   disk.img    a GPT disk: esp/ as FAT, boot/ as ext4 (integral mkfs) (PCR 5)
#   rootfs.img  the root image the initramfs measures into PCR 16 (as the uefi-boot example)
# The initramfs and root image come from examples/uefi-boot/build.sh (plain root disk).
# usage: build.sh KERNEL_DIR CHAIN_DIR OUTDIR
# env: GRUB_CFG (the grub.cfg to install, default: grub.cfg beside this script), KERNEL_CMDLINE,
#      INTEGRAL
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kernel=${1:?usage: $0 KERNEL_DIR CHAIN_DIR OUTDIR}
chain=${2:?usage: $0 KERNEL_DIR CHAIN_DIR OUTDIR}
out=${3:?usage: $0 KERNEL_DIR CHAIN_DIR OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
integral=${INTEGRAL:-$here/../../build/integral}
epoch=${SOURCE_DATE_EPOCH:-1700000000}
cmdline=${KERNEL_CMDLINE:-console=ttyS0 quiet loglevel=1 panic=-1 integral.measure_pcr=16 ima_policy=tcb}

# initrd.img and rootfs.img: the uefi-boot example's, with a plain root disk (no UKI needed,
# but its build makes one; it is not used here)
INTEGRAL=$integral LUKS_ROOT=0 PCR_KEY= KERNEL_CMDLINE="$cmdline" "$here/../uefi-boot/build.sh" "$kernel" "$out/base" \
  >/dev/null
mv "$out/base/rootfs.img" "$out/base/rootfs.ima-policy.json" "$out/"

# /boot, its own ext4 partition as Debian installs it with a separate /boot: the kernel, the
# initrd, GRUB's configuration and its environment block (as grub-install leaves it), made by
# integral mkfs with a fixed UUID (grub.cfg searches for it)
boot_uuid=0e8c5a1d-3f27-4b69-a4d2-6c1b9e7f3a05
rm -rf "$out/boot" "$out/boot.img"
mkdir -p "$out/boot/grub"
cp "$kernel/vmlinuz" "$out/boot/vmlinuz"
cp "$out/base/initrd.img" "$out/boot/initrd.img"
rm -rf "$out/base"
sed "s|@CMDLINE@|$cmdline|" "${GRUB_CFG:-$here/grub.cfg}" >"$out/boot/grub/grub.cfg"
{ printf '# GRUB Environment Block\n'; head -c $((1024 - 25)) /dev/zero | tr '\0' '#'; } \
  >"$out/boot/grub/grubenv"
"$integral" mkfs --tree "$out/boot" --uuid "$boot_uuid" --label boot --timestamp "$epoch" \
  -o "$out/boot.img" >/dev/null

# The ESP: shim as \EFI\BOOT\BOOTX64.EFI, GRUB beside it, and the grub.cfg grub-install writes
# for the signed GRUB in its prefix (\EFI\debian): it finds /boot and hands over to its
# grub.cfg. 64 MiB FAT with a fixed volume serial (GRUB names the file system 1234-abcd).
rm -rf "$out/esp"
mkdir -p "$out/esp/EFI/BOOT" "$out/esp/EFI/debian"
cp "$chain/shimx64.efi" "$out/esp/EFI/BOOT/BOOTX64.EFI"
cp "$chain/grubx64.efi" "$out/esp/EFI/BOOT/grubx64.efi"
cp "$here/esp-grub.cfg" "$out/esp/EFI/debian/grub.cfg"
rm -f "$out/esp.img" "$out/disk.img"
mkfs.vfat -C -n ESP -i 1234ABCD "$out/esp.img" 65536 >/dev/null
mcopy -s -i "$out/esp.img" "$out/esp/EFI" ::/

# The disk: GPT with fixed GUIDs, the ESP at 1 MiB, /boot after it.
boot_sectors=$(($(stat -c %s "$out/boot.img") / 512))
truncate -s $(((2048 + 131072 + boot_sectors + 2048) * 512)) "$out/disk.img"
sfdisk -q "$out/disk.img" <<GPT
label: gpt
label-id: 5d0a7e43-2c9b-4f61-8e3a-9b1c4d6f2e85
start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=a4e1c9b2-7d35-4e08-9f6a-3c2b5e8d1f70, name="ESP"
start=133120, size=$boot_sectors, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=6f3b2d91-8c4e-4a57-b1e0-7d2a9c5f4e38, name="boot"
GPT
dd if="$out/esp.img" of="$out/disk.img" bs=1M seek=1 conv=notrunc status=none
dd if="$out/boot.img" of="$out/disk.img" bs=512 seek=133120 conv=notrunc status=none
rm -f "$out/esp.img" "$out/boot.img"
