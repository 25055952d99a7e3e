#!/usr/bin/env bash
# Builds the example's boot artifacts, byte-identical on every run for the same kernel:
#   initrd.img  busybox initramfs (init.sh as /init, the kernel's modules; with a LUKS2 root,
#               systemd-cryptsetup and the libraries it loads), reproducible cpio
#   uki.efi     Unified Kernel Image: Debian's systemd-stub + kernel + initrd + cmdline +
#               os-release, assembled by `integral uki` as ukify assembles it, with the
#               PCR-signing public key (.pcrpkey) and the signed policy of its own PCR 11
#               (.pcrsig)
#   esp.img     FAT ESP holding the UKI as \EFI\BOOT\BOOTX64.EFI
#   disk.img    the boot disk: a GPT with esp.img as its EFI system partition (PCR 5)
#   rootfs.img  the root image the initramfs measures (examples/meta-measured/build-rootfs.sh),
#               and rootfs.ima-policy.json, its files as a keylime runtime policy (under /mnt)
#   luks.img, tpm/  the root disk: rootfs.img in LUKS2, its keyslot sealed to the PCR-signing
#               key in the software TPM the guest boots with (luks-root.sh)
# Byte-identical on every run for the same kernel, but for luks.img and tpm/ (random keys).
# usage: build.sh KERNEL_DIR OUTDIR
# env: KERNEL_CMDLINE, OS_RELEASE (contents), INITRD_EXTRA (a file added to the initramfs as
#      /etc/extra), UKI_ONLY=1 (skip the ESP and the root image), SIGN_KEY + SIGN_CERT (sign
#      the UKI with sbsign; the unsigned one is kept as uki-unsigned.efi; SIGN_KEY_PASS: the
#      key's passphrase), PCR_KEY (the key signing PCR 11, default pcr-dev.pem: a development
#      key, published; empty: no .pcrpkey/.pcrsig), PCR_PHASES (the phase paths it signs),
#      PCRSIG_FILE (embed this .pcrsig, made elsewhere, instead of signing with PCR_KEY),
#      LUKS_ROOT=0 (a plain root disk, and no systemd-cryptsetup in the initramfs), INTEGRAL
#      (the integral binary)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
integral=${INTEGRAL:-$here/../../build/integral}
kernel=${1:?usage: $0 KERNEL_DIR OUTDIR}
out=${2:?usage: $0 KERNEL_DIR OUTDIR}
stub=${EFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
busybox=${BUSYBOX:-/bin/busybox}
epoch=${SOURCE_DATE_EPOCH:-1700000000}
cmdline=${KERNEL_CMDLINE:-console=ttyS0 quiet loglevel=1 panic=-1 integral.measure_pcr=16 ima_policy=tcb}
pcr_key=${PCR_KEY-$here/pcr-dev.pem}
# The busybox init unlocks right after systemd-stub (no systemd-pcrphase): the phase path ":"
# is that PCR 11; enter-initrd is a systemd initrd's.
pcr_phases=${PCR_PHASES:-: enter-initrd}
luks=${LUKS_ROOT:-1}
mkdir -p "$out"

# add_elf TREE FILE...: each program or library with the libraries it links, at their paths
# (/usr/lib is the same folder: Debian's merged /usr)
add_elf() {
  local tree=$1 f lib
  shift
  for f in "$@"; do
    for lib in "$f" $(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
      lib=${lib#/usr}
      [[ -e $tree$lib ]] || { mkdir -p "$tree$(dirname "$lib")" && cp -L "$lib" "$tree$lib"; }
    done
  done
}

# initramfs: fixed mtimes, sorted names, owner root, no gzip timestamp
tree="$out/initramfs"
rm -rf "$tree"
mkdir -p "$tree"/{bin,dev,proc,sys,run,mnt,lib/modules}
cp "$busybox" "$tree/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$tree/bin/$applet"
done
cp "$kernel"/modules/*.ko "$tree/lib/modules/"
install -m 0755 "$here/init.sh" "$tree/init"
if [[ $luks != 0 ]]; then
  # systemd-cryptsetup opens the TPM2 token through its libcryptsetup plugin, which loads
  # tpm2-tss at run time (dlopen)
  ln -s . "$tree/usr"
  add_elf "$tree" /lib/systemd/systemd-cryptsetup \
    /lib/x86_64-linux-gnu/libtss2-{esys,rc,mu,tctildr,tcti-device}.so.0 \
    /lib/x86_64-linux-gnu/cryptsetup/libcryptsetup-token-systemd-tpm2.so
fi
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

# The UKI, with the PCR 11 policy its stub will measure signed by the PCR key.
rm -f "$out/uki.efi"
uki_args=(--stub="$stub" --linux="$out/vmlinuz" --initrd="$out/initrd.img"
  --cmdline=@"$out/cmdline.txt" --os-release=@"$out/os-release")
if [[ -n ${PCRSIG_FILE:-} ]]; then
  openssl pkey -in "$pcr_key" -pubout -out "$out/pcr-key.pub"
  uki_args+=(--pcrpkey="$out/pcr-key.pub" --section=.pcrsig:@"$PCRSIG_FILE")
elif [[ -n $pcr_key ]]; then
  uki_args+=(--pcr-private-key="$pcr_key" --phases="$pcr_phases")
fi
"$integral" uki "${uki_args[@]}" -o "$out/uki.efi"

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

# ESP: 32 MiB FAT (its serial number and timestamps are not measured), on a GPT disk (the
# firmware measures the partition table into PCR 5): one EFI system partition at 1 MiB, with
# fixed GUIDs, so disk.img is the same on every run. GPT_DISK=0: the bare FAT image (no GPT
# event), as the service VMs boot it.
rm -f "$out/esp.img" "$out/disk.img"
mkfs.vfat -C -n ESP "$out/esp.img" 32768 >/dev/null
mmd -i "$out/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$out/esp.img" "$out/uki.efi" ::/EFI/BOOT/BOOTX64.EFI
if [[ ${GPT_DISK:-1} != 0 ]]; then
  truncate -s 34M "$out/disk.img"  # the partition, and room for both partition tables
  sfdisk -q "$out/disk.img" <<'GPT'
label: gpt
label-id: 3b0f5c2e-8d41-4a7e-9c16-2f5d8e7a1b04
start=2048, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=7c9e2a51-4f08-4d3b-b6a2-1e8f0c5d9a37, name="ESP"
GPT
  dd if="$out/esp.img" of="$out/disk.img" bs=1M seek=1 conv=notrunc status=none
fi

# The initramfs mounts the root image at /mnt: its IMA runtime policy names the files there.
IMA_MOUNT_POINT=/mnt SOURCE_DATE_EPOCH=$epoch "$here/../meta-measured/build-rootfs.sh" "$out"
if [[ $luks != 0 ]]; then
  [[ -n $pcr_key ]] || { echo "build.sh: a LUKS2 root needs PCR_KEY" >&2; exit 2; }
  openssl pkey -in "$pcr_key" -pubout -out "$out/pcr-key.pub"
  "$here/luks-root.sh" "$out" "$out/pcr-key.pub"
fi
