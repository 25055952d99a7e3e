#!/usr/bin/env bash
# A real measured boot, end to end: examples/uefi-boot/run.sh builds a UKI (Debian's kernel and
# systemd-stub, signed with Debian's snakeoil key: Secure Boot is enforced), predicts every PCR from a recorded platform profile (a reference event log) and
# the artifacts, boots it under QEMU (TCG) + OVMF + swtpm (four banks), and `integral verify` must
# find the guest's PCRs and the guest's event log equal to the prediction in every bank. Then,
# with no further boot, one changed byte in each input must make verify against the guest's PCRs
# fail on exactly the PCRs that input feeds, and verify against the guest's event log name the
# first differing event and the artifact behind it. A UKI signed with another key must make the
# prediction fail (the firmware would refuse it). The root disk is LUKS2: opened by the TPM with
# the UKI's .pcrsig; after a one-byte command line change the old .pcrsig no longer opens it and
# the re-signed UKI does (two more boots). Then Debian 13's systemd-stub 257 (Secure Boot off),
# and the Secure Boot off variant (unsigned UKI,
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
' mutated os-release "4 9 11" 11 "uki.efi#.osrel"
KERNEL_CMDLINE='console=ttyS0 quiet loglevel=2 panic=-1 integral.measure_pcr=16 ima_policy=tcb' mutated cmdline "4 9 11"
printf 'x' >"$WORK/extra"
INITRD_EXTRA="$WORK/extra" mutated initrd "4 9 11" 9 "uki.efi#.initrd"
kdir="$WORK/kernel-mutated"
cp -r "$kernel" "$kdir"
# one byte in the kernel's compressed payload (the image is not booted again)
printf 'X' | dd of="$kdir/vmlinuz" bs=1 seek=4000000 conv=notrunc status=none
KDIR="$kdir" mutated kernel "4 9 11" 11 "uki.efi#.linux"
mutated rootfs "16"

# PCR 5: the boot disk's GPT, measured by the firmware, predicted from disk.img (stage gpt); the
# event log comparison above covers it event by event.
# (the listing goes to a file: grep -q leaving a pipe early would fail the writer under pipefail)
"$INTEGRAL" eventlog show "$out/eventlog.bin" >"$WORK/events.txt"
[[ $(jq '[.events[] | select(.rule == "uefi/gpt")] | length' "$out/prediction.json") == 1 ]] &&
  grep -q "EV_EFI_GPT_EVENT" "$WORK/events.txt" &&
  ok "the firmware's GPT event is in the log, and predicted from disk.img" || bad "no GPT event"

# The root disk is LUKS2, opened in the guest by systemd-cryptsetup with the TPM and the UKI's
# .pcrsig; the guest measured its plaintext, which is the root image.
grep -q "^root disk: LUKS2, opened by the TPM" "$WORK/run.txt" && ok "the LUKS2 root disk opened with the TPM and the UKI's signed policy" ||
  bad "LUKS2 root disk: $(grep -E '^(root disk|UNLOCK)' "$WORK/run.txt")"
grep -q "^MEASURE 16 sha256 $(sha256sum "$out/rootfs.img" | cut -c1-64) /dev/mapper/root" "$WORK/run.txt" &&
  ok "the guest measured the opened disk: the root image's bytes" || bad "PCR 16 measurement of /dev/mapper/root"

# IMA (ima_policy=tcb): the files the guest read and ran from its root image are in the policy
# integral mkfs wrote while building the image, each with its content; with one file's digest in
# the policy changed (the file as it would be had it changed after the build) verify names it.
n=$(grep -c ' /mnt/' "$out/ima.txt" || true)
if grep -q '^IMA: .* files measured from the root image, each as built' "$WORK/run.txt" && ((n >= 5)); then
  ok "IMA: the guest's $n measurements of root image files are the policy's"
else
  bad "IMA: $(grep '^IMA' "$WORK/run.txt") ($n entries under /mnt)"
fi
jq '.digests["/mnt/etc/os-release"] = ["'"$(printf '%064d' 1)"'"]' "$out/rootfs.ima-policy.json" >"$WORK/changed-policy.json"
expect_refusal "IMA: a file not as the policy says" "/mnt/etc/os-release" \
  "$INTEGRAL" verify --log "$out/ima.txt" --ima-policy "$WORK/changed-policy.json"

# The update, booted: one changed byte in the UKI's command line. The same disk and TPM (no
# re-enrollment). With the previous build's .pcrsig the TPM refuses the disk's key (the policy
# signed is not the PCR 11 the new UKI gives); re-signed by the build, the disk opens.
newcmd='console=ttyS0 quiet loglevel=2 panic=-1 integral.measure_pcr=16 ima_policy=tcb'
objcopy --dump-section .pcrsig="$WORK/old.pcrsig" "$out/uki.efi" "$WORK/scratch.efi"
pcr_of() { awk -v b="$1:" -v p="$2" '$1 == b { s = 1; next } /^  [a-z]/ { s = 0 }
  s { sub(/:/, " "); if ($1 == p) print $2 }' "$3"; }
update_boot() { # NAME [ENV...]: the UKI rebuilt with the new command line, booted with the disk
  local d=$WORK/$1
  shift
  rm -rf "$d"
  cp -r "$out" "$d"
  rm -rf "$d/run" "$d/observed.yaml" "$d/eventlog.bin"
  env "$@" KERNEL_CMDLINE="$newcmd" UKI_ONLY=1 "$ex/build.sh" "$kernel" "$d" >"$d/build.txt" 2>&1
  mcopy -o -i "$d/disk.img@@1M" "$d/uki.efi" ::/EFI/BOOT/BOOTX64.EFI  # the ESP at 1 MiB
  "$INTEGRAL" predict "$d/boot.toml" --json -o "$d/prediction.json"
  ROOT_IMAGE="$out/luks.img" TPM_STATE="$out/tpm" "$ex/boot.sh" "$d" >"$d/boot.txt" 2>&1 ||
    { bad "$1: boot failed"; tail -5 "$d/boot.txt"; return 1; }
}
nosel=$(echo "$sel" | sed 's/,16//g')
if update_boot stale-sig PCRSIG_FILE="$WORK/old.pcrsig"; then
  d=$WORK/stale-sig
  # systemd's token finds no signed policy for the PCR 11 the new UKI gave
  grep -q "^UNLOCK failed" "$d/boot.txt" && grep -q "Couldn't find signature for this PCR bank" "$d/boot.txt" &&
    ok "new command line, old .pcrsig: no signed policy for the new PCR 11, the disk stays locked" ||
    bad "stale .pcrsig: $(grep -E '^(UNLOCK|ERROR)' "$d/boot.txt")"
  expect_pass "new command line, old .pcrsig: the guest's PCRs equal the new prediction" \
    "$INTEGRAL" verify --expect "$d/prediction.json" --pcrs "$d/observed.yaml" --select "$nosel"
  [[ $(pcr_of sha256 11 "$d/observed.yaml") != "$(pcr_of sha256 11 "$out/observed.yaml")" ]] &&
    ok "new command line: PCR 11 changed" || bad "PCR 11 did not change with the command line"
fi
if update_boot resigned; then
  d=$WORK/resigned
  grep -q "^UNLOCK ok" "$d/boot.txt" && ok "new command line, re-signed by the build: the same disk opens, no re-enrollment" ||
    bad "re-signed: $(grep -E '^(UNLOCK|ERROR)' "$d/boot.txt")"
  expect_pass "re-signed: the guest's PCRs (16: the opened disk) equal the prediction" \
    "$INTEGRAL" verify --expect "$d/prediction.json" --pcrs "$d/observed.yaml" --select "$sel"
fi

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

# systemd-stub 257 (Debian 13's, from the cached trixie root: scripts/peers/), Secure Boot off:
# the same example with that stub; its section order (.sbat measured), the .pcrsig signed for it
# and the initrd it hands the kernel (.extra archives of .pcrsig, .pcrpkey and .osrel) predicted,
# the LUKS2 root opened.
if root257=$("$INTEGRAL_SOURCE_DIR/scripts/peers/systemd-257-chroot.sh" 2>"$WORK/peer257.err"); then
  if SECURE_BOOT=0 EFI_STUB="$root257/usr/lib/systemd/boot/efi/linuxx64.efi.stub" \
    KERNEL_DIR="$kernel" "$ex/run.sh" "$WORK/stub257" >"$WORK/stub257.txt" 2>&1; then
    ok "systemd-stub $(cat "$root257/version"): measured boot verified: $(tail -1 "$WORK/stub257.txt")"
  else
    bad "systemd-stub 257: run.sh failed"
    tail -40 "$WORK/stub257.txt"
  fi
  grep -q "^event log: verify: OK" "$WORK/stub257.txt" && ok "systemd-stub 257: the event log equals the prediction" ||
    bad "systemd-stub 257: event log: $(grep '^event log' "$WORK/stub257.txt")"
  grep -q "^root disk: LUKS2, opened" "$WORK/stub257.txt" && ok "systemd-stub 257: the LUKS2 root opened with its .pcrsig" ||
    bad "systemd-stub 257: root disk: $(grep -E '^(root disk|UNLOCK)' "$WORK/stub257.txt")"
else
  skip "systemd-stub 257: $(cat "$WORK/peer257.err")"
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
