#!/usr/bin/env bash
# A real measured boot, end to end: examples/uefi-boot/run.sh builds a UKI (Debian's kernel and
# systemd-stub, signed with Debian's snakeoil key: Secure Boot is enforced), predicts every PCR from a recorded platform profile (a reference event log) and
# the artifacts, boots it under QEMU (TCG) + OVMF + swtpm (four banks), and `integral verify` must
# find the guest's PCRs and the guest's event log equal to the prediction in every bank. Then,
# with no further boot, one changed byte in each input must make verify against the guest's PCRs
# fail on exactly the PCRs that input feeds, and verify against the guest's event log name the
# first differing event and the artifact behind it. A UKI signed with another key must make the
# prediction fail (the firmware would refuse it). Then the Secure Boot off variant (unsigned UKI,
# plain OVMF) is booted for real too, and its PCRs and event log must equal its prediction.
# Needs the kernel cache (examples/uefi-boot/fetch-kernel.sh: apt-get download, once).
# INTEGRAL_SKIP_BOOT=1 skips this test (exit 77, which scripts/test.sh counts as a failure unless
# tests/skip-allowlist.txt names it; CI's sanitizer stage leaves the boots out with CTEST_EXCLUDE).
. "$(dirname "$0")/lib/common.sh"

if [[ -n ${INTEGRAL_SKIP_BOOT:-} ]]; then
  skip_all "INTEGRAL_SKIP_BOOT is set"
fi
ex="$INTEGRAL_SOURCE_DIR/examples/uefi-boot"
kernel=${KERNEL_DIR:-$("$ex/fetch-kernel.sh")}
out="$WORK/out"
if KERNEL_DIR="$kernel" "$ex/run.sh" "$out" 2>&1 | tee "$WORK/run.txt"; then
  ok "measured boot verified: $(tail -1 "$WORK/run.txt")"
else
  bad "measured boot: run.sh failed"
  tail -30 "$out/run/console.log" 2>/dev/null || true
  grep -v '^[A-Za-z0-9+/=]*$' "$out/run/report.txt" 2>/dev/null | tail -30 || true
  finish
fi
grep -q "^EXTEND-RESPONSE 80020000001300000000" "$WORK/run.txt" && ok "guest PCR 16 extend succeeded" ||
  bad "guest PCR 16 extend response"
grep -q "^event log: verify: OK" "$WORK/run.txt" && ok "guest event log equals the prediction" ||
  bad "guest event log: $(grep '^event log' "$WORK/run.txt")"
# The table marks the firmware's PCRs as the profile's, the boot chain's as the artifacts'.
src_of() { awk -v p="$1" '$1 == p && NF == 3 { print $2 }' "$WORK/run.txt" | head -1; }
for p in 0 1 2 3 6; do
  [[ $(src_of $p) == profile ]] && ok "PCR $p from the profile" || bad "PCR $p source '$(src_of $p)'"
done
for p in 4 5 7; do
  [[ $(src_of $p) == profile+artifacts ]] && ok "PCR $p from profile + artifacts" ||
    bad "PCR $p source '$(src_of $p)'"
done
for p in 9 11 16; do
  [[ $(src_of $p) == artifacts ]] && ok "PCR $p from the artifacts" || bad "PCR $p source '$(src_of $p)'"
done

sel="sha1:0-9,11-16,23+sha256:0-9,11-16,23+sha384:0-9,11-16,23+sha512:0-9,11-16,23"
sel=$(echo "$sel" | sed 's/0-9/0,1,2,3,4,5,6,7,8,9/g; s/11-16/11,12,13,14,15,16/g')
logsel=$(echo "$sel" | sed 's/,16//g')
# The mutated UKIs are signed like the booted one.
export SIGN_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key SIGN_KEY_PASS=snakeoil
export SIGN_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
# mutated NAME WANT-PCRS [LOG-PCR ARTIFACT]: rebuild with one input changed (env set by the
# caller), predict, and verify the recorded boot's PCRs; exactly WANT-PCRS (sha256 bank) must
# mismatch. With LOG-PCR: verify the recorded boot's event log too; it must fail, and its
# explanation for LOG-PCR must name the predicted event's artifact ARTIFACT.
mutated() {
  local name=$1 want=$2 log_pcr=${3:-} artifact=${4:-} d="$WORK/$1"
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
  [[ -n $log_pcr ]] || return 0
  set +e
  "$INTEGRAL" verify --log "$out/eventlog.bin" --expect "$d/boot.toml" --select "$logsel" \
    >"$d/verify-log.txt" 2>&1
  rc=$?
  set -e
  # The explanation for the PCR's sha256 bank: the log's event, then the predicted one and its
  # artifact ("from ARTIFACT [rule]").
  local why
  why=$(awk -v p="PCR $log_pcr sha256:" 'index($0, p) == 3 { s = 1; next } /^  PCR / { s = 0 }
    s && /^ *from / && ++n == 2 { print; exit }' "$d/verify-log.txt")
  if [[ $rc -eq 1 && $why == *"$artifact"* ]]; then
    ok "one byte of $name changed: the event log differs in PCR $log_pcr,$why"
  else
    bad "one byte of $name changed: log verify rc=$rc, PCR $log_pcr explanation '$why', want $artifact"
    cat "$d/verify-log.txt"
  fi
}
OS_RELEASE='ID=integral-examplf
NAME="integral measured UEFI example"
VERSION_ID=1
' mutated os-release "4 11" 11 "uki.efi#.osrel"
KERNEL_CMDLINE='console=ttyS0 quiet loglevel=2 panic=-1 integral.measure_pcr=16' mutated cmdline "4 9 11"
printf 'x' >"$WORK/extra"
INITRD_EXTRA="$WORK/extra" mutated initrd "4 9 11" 9 "uki.efi#.initrd"
kdir="$WORK/kernel-mutated"
cp -r "$kernel" "$kdir"
# one byte in the kernel's compressed payload (the image is not booted again)
printf 'X' | dd of="$kdir/vmlinuz" bs=1 seek=4000000 conv=notrunc status=none
KDIR="$kdir" mutated kernel "4 11" 11 "uki.efi#.linux"
mutated rootfs "16"

# Signed with a key the platform's db does not hold: no prediction (exit 3, naming the UKI).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/other.key" -out "$WORK/other.pem" \
  -days 1 -subj "/CN=not in db" 2>/dev/null
d="$WORK/other-key"
cp -r "$out" "$d"
SIGN_KEY="$WORK/other.key" SIGN_KEY_PASS= SIGN_CERT="$WORK/other.pem" UKI_ONLY=1 \
  "$ex/build.sh" "$kernel" "$d" >/dev/null
set +e
"$INTEGRAL" predict "$d/boot.toml" >"$d/predict.txt" 2>&1
rc=$?
set -e
if [[ $rc -eq 3 ]] && grep -q "no db entry.*uki.efi.*would refuse" "$d/predict.txt"; then
  ok "UKI signed with a key not in db: predict exit 3, $(cut -c1-100 "$d/predict.txt")"
else
  bad "UKI signed with another key: rc=$rc $(cat "$d/predict.txt")"
fi

# Secure Boot off, booted for real: the unsigned UKI on the plain OVMF, predicted from its own
# platform profile (examples/uefi-boot/profile-ovmf-q35.bin) and the artifacts.
if SECURE_BOOT=0 KERNEL_DIR="$kernel" "$ex/run.sh" "$WORK/sb-off" >"$WORK/sb-off.txt" 2>&1; then
  ok "Secure Boot off: measured boot verified: $(tail -1 "$WORK/sb-off.txt")"
else
  bad "Secure Boot off: run.sh failed"
  tail -40 "$WORK/sb-off.txt"
fi
grep -q "^event log: verify: OK" "$WORK/sb-off.txt" && ok "Secure Boot off: the guest's event log equals the prediction" ||
  bad "Secure Boot off: guest event log: $(grep '^event log' "$WORK/sb-off.txt")"
finish
