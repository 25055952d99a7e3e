#!/usr/bin/env bash
# Builds the shim/GRUB example's boot disk, byte-identical on every run for the same packages:
#   esp/        the EFI system partition's files: \EFI\BOOT\BOOTX64.EFI (Debian's signed shim),
#               \EFI\BOOT\grubx64.efi (Debian's signed GRUB, which reads \EFI\debian\grub.cfg:
#               its built-in prefix), \vmlinuz (Debian's signed kernel) and \initrd.img
#   disk.img    a GPT disk whose EFI system partition is esp/ as FAT (PCR 5)
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
cmdline=${KERNEL_CMDLINE:-console=ttyS0 quiet loglevel=1 panic=-1 integral.measure_pcr=16 ima_policy=tcb}

# initrd.img and rootfs.img: the uefi-boot example's, with a plain root disk (no UKI needed,
# but its build makes one; it is not used here)
LUKS_ROOT=0 PCR_KEY= KERNEL_CMDLINE="$cmdline" "$here/../uefi-boot/build.sh" "$kernel" "$out/base" \
  >/dev/null
mv "$out/base/rootfs.img" "$out/base/rootfs.ima-policy.json" "$out/"

rm -rf "$out/esp"
mkdir -p "$out/esp/EFI/BOOT" "$out/esp/EFI/debian"
cp "$chain/shimx64.efi" "$out/esp/EFI/BOOT/BOOTX64.EFI"
cp "$chain/grubx64.efi" "$out/esp/EFI/BOOT/grubx64.efi"
cp "$kernel/vmlinuz" "$out/esp/vmlinuz"
cp "$out/base/initrd.img" "$out/esp/initrd.img"
sed "s|@CMDLINE@|$cmdline|" "${GRUB_CFG:-$here/grub.cfg}" >"$out/esp/EFI/debian/grub.cfg"
rm -rf "$out/base"

# The ESP: 64 MiB FAT with esp/'s files, at 1 MiB of a GPT disk with fixed GUIDs.
rm -f "$out/esp.img" "$out/disk.img"
# a fixed volume serial: GRUB names the file system by it (search --fs-uuid 1234-abcd)
mkfs.vfat -C -n ESP -i 1234ABCD "$out/esp.img" 65536 >/dev/null
mcopy -s -i "$out/esp.img" "$out/esp/EFI" "$out/esp/vmlinuz" "$out/esp/initrd.img" ::/
truncate -s 66M "$out/disk.img"
sfdisk -q "$out/disk.img" <<'GPT'
label: gpt
label-id: 5d0a7e43-2c9b-4f61-8e3a-9b1c4d6f2e85
start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=a4e1c9b2-7d35-4e08-9f6a-3c2b5e8d1f70, name="ESP"
GPT
dd if="$out/esp.img" of="$out/disk.img" bs=1M seek=1 conv=notrunc status=none
rm -f "$out/esp.img"
