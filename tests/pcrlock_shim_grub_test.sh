#!/usr/bin/env bash
# `integral pcrlock` for the shim/GRUB chain against systemd-pcrlock 257: the example's boot
# (examples/shim-grub, built and predicted, not booted: tests/shim_grub_boot_test.sh proves the
# prediction by a real boot) as .pcrlock components. pcrlock's own lock-pe of shim writes the
# component integral writes for the firmware starting it, byte for byte, and lock-gpt of the
# disk the component of its GPT event; lock-pe's PCR 4 record of GRUB and of the kernel is
# among integral's components where shim measures them; and
# `systemd-pcrlock predict` reading only integral's components predicts every PCR integral
# predicts for the chain (0-9 and 14: the firmware's from the platform profile, shim's MOK
# lists, SbatLevel and authorities, GRUB's commands and files, the GPT), in every bank. pcrlock
# leaves PCRs 6, 8 and 9 out unless asked, so they are asked for.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/swtpm.sh"
. "$(dirname "$0")/lib/pcrlock.sh"
pcrlock_root
ex="$INTEGRAL_SOURCE_DIR/examples/shim-grub"
export KERNEL_DIR=${KERNEL_DIR:-$("$INTEGRAL_SOURCE_DIR/examples/uefi-boot/fetch-kernel.sh")}
export CHAIN_DIR=${CHAIN_DIR:-$("$ex/fetch-chain.sh")}
out="$WORK/out"
PREDICT_ONLY=1 "$ex/run.sh" "$out" >"$WORK/run.txt" 2>&1 || {
  cat "$WORK/run.txt"
  bad "examples/shim-grub/run.sh (PREDICT_ONLY) failed"
  finish
}
cd "$out"
"$INTEGRAL" pcrlock boot.toml -o comp >pcrlock.out
c() { find comp -name "*-integral-*-$1.pcrlock"; }

# lock-pe: shim as the firmware starts it (the uefi-app stage's component), byte for byte.
pcrlock lock-pe esp/EFI/BOOT/BOOTX64.EFI --pcrlock=shim.pcrlock >/dev/null 2>&1
cmp -s "$(c uefi-app-BOOTX64.EFI)" shim.pcrlock &&
  ok "the firmware's start of shim is byte-identical to lock-pe of shim" ||
  bad "component uefi-app-BOOTX64.EFI differs from lock-pe of shim"
# GRUB (shim starts it) and the kernel (shim verifies it for GRUB, twice in Debian's 2.06):
# lock-pe's record is the PCR 4 record of integral's component.
pcrlock lock-pe esp/EFI/BOOT/grubx64.efi --pcrlock=grub.pcrlock >/dev/null 2>&1
pcrlock lock-pe boot/vmlinuz --pcrlock=kernel.pcrlock >/dev/null 2>&1
pcr4() { jq -c '[.records[] | select(.pcr == 4)]' "$1"; }
expect_equal "shim's start of GRUB: the PCR 4 record of lock-pe of grubx64.efi" \
  "$(pcr4 grub.pcrlock)" "$(pcr4 "$(c shim-grubx64.efi)")"
expect_equal "GRUB's kernel, verified by shim twice: lock-pe's record, twice" \
  "$(jq -c '.records + .records' kernel.pcrlock)" "$(pcr4 "$(c grub-boot)")"
# lock-gpt reads a block device: the example's disk through a read-only loop device. Its
# component is the gpt stage's, byte for byte.
if loop=$(losetup -f --show -r disk.img 2>losetup.err); then
  pcrlock lock-gpt "$loop" --pcrlock=gpt.pcrlock >/dev/null 2>&1 || true
  losetup -d "$loop"
  cmp -s "$(c uefi-disk.img)" gpt.pcrlock && ok "PCR 5's GPT event is byte-identical to lock-gpt of the disk" ||
    bad "component uefi-disk.img differs from lock-gpt of the disk"
else
  skip "lock-gpt: no loop device ($(cat losetup.err))"
fi

# pcrlock predict from integral's components alone.
"$INTEGRAL" pcrlock boot.toml -o future --first 800 >/dev/null
pcrs=0,1,2,3,4,5,6,7,8,9,14
pcrlock_predict_from future predict.json --pcr=$pcrs
for bank in sha1 sha256 sha384 sha512; do
  for pcr in ${pcrs//,/ }; do
    want=$(jq -r --arg b "$bank" --arg p "$pcr" '.pcrs[$b][$p] // empty' prediction.json)
    got=$(jq -r --argjson p "$pcr" --arg b "$bank" '.[$b][]? | select(.pcr == $p) | .values[-1]' predict.json)
    expect_equal "pcrlock predict from integral's components: PCR $pcr $bank" "${want,,}" "$got"
  done
done
finish
