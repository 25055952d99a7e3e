#!/usr/bin/env bash
# A real measured boot, end to end: examples/uefi-boot/run.sh builds a UKI (Debian's kernel and
# systemd-stub), predicts every PCR, boots it under QEMU (TCG) + OVMF + swtpm (four banks), and
# `integral verify` must find the guest's PCRs equal to the prediction in every bank. Then, with
# no further boot, one changed byte in each input must make verify against the guest's PCRs fail
# on exactly the PCRs that input feeds.
# Needs the kernel cache (examples/uefi-boot/fetch-kernel.sh: apt-get download, once).
# INTEGRAL_SKIP_BOOT=1 skips this test (the sanitizer run in CI: the boot is the same).
. "$(dirname "$0")/lib/common.sh"

if [[ -n ${INTEGRAL_SKIP_BOOT:-} ]]; then
  echo "skipped (INTEGRAL_SKIP_BOOT)"
  finish
  exit 0
fi
ex="$INTEGRAL_SOURCE_DIR/examples/uefi-boot"
kernel=${KERNEL_DIR:-$("$ex/fetch-kernel.sh")}
out="$WORK/out"
if KERNEL_DIR="$kernel" "$ex/run.sh" "$out" 2>&1 | tee "$WORK/run.txt"; then
  ok "measured boot verified: $(tail -1 "$WORK/run.txt")"
else
  bad "measured boot: run.sh failed"
  tail -30 "$out/run/console.log" 2>/dev/null || true
  finish
fi
grep -q "^EXTEND-RESPONSE 80020000001300000000" "$WORK/run.txt" && ok "guest PCR 16 extend succeeded" ||
  bad "guest PCR 16 extend response"

sel="sha1:0-9,11-16,23+sha256:0-9,11-16,23+sha384:0-9,11-16,23+sha512:0-9,11-16,23"
sel=$(echo "$sel" | sed 's/0-9/0,1,2,3,4,5,6,7,8,9/g; s/11-16/11,12,13,14,15,16/g')
# mutated NAME WANT-PCRS: rebuild with one input changed (env set by the caller), predict, and
# verify the recorded boot's PCRs; exactly WANT-PCRS (sha256 bank) must mismatch.
mutated() {
  local name=$1 want=$2 d="$WORK/$1"
  rm -rf "$d"
  cp -r "$out" "$d"
  if [[ $name == rootfs ]]; then
    printf 'X' | dd of="$d/rootfs.img" bs=1 seek=1024 conv=notrunc status=none
  else
    UKI_ONLY=1 "$ex/build.sh" "${KDIR:-$kernel}" "$d" >/dev/null
  fi
  set +e
  "$INTEGRAL" verify --expect "$d/boot.toml" --pcrs "$out/observed.yaml" --select "$sel" >"$d/verify.txt" 2>&1
  local rc=$?
  set -e
  local got
  got=$(awk '$2 == "sha256" && $3 == "MISMATCH" { print $1 }' "$d/verify.txt" | sort -n | tr '\n' ' ')
  if [[ $rc -eq 1 && "$got" == "$want " ]]; then
    ok "one byte of $name changed: verify exit 1, sha256 mismatches in PCR $got"
  else
    bad "one byte of $name changed: rc=$rc, mismatching PCRs '$got', want '$want'"
    cat "$d/verify.txt"
  fi
}
OS_RELEASE='ID=integral-examplf
NAME="integral measured UEFI example"
VERSION_ID=1
' mutated os-release "4 11"
KERNEL_CMDLINE='console=ttyS0 quiet loglevel=2 panic=-1 integral.measure_pcr=16' mutated cmdline "4 9 11"
printf 'x' >"$WORK/extra"
INITRD_EXTRA="$WORK/extra" mutated initrd "4 9 11"
kdir="$WORK/kernel-mutated"
cp -r "$kernel" "$kdir"
# one byte in the kernel's compressed payload (the image is not booted again)
printf 'X' | dd of="$kdir/vmlinuz" bs=1 seek=4000000 conv=notrunc status=none
KDIR="$kdir" mutated kernel "4 11"
mutated rootfs "16"
finish
