#!/usr/bin/env bash
# A real measured UEFI boot of the example, predicted and verified:
#   1. build the artifacts (build.sh: UKI from Debian's kernel and systemd-stub, FAT ESP,
#      root image) and predict every PCR with `integral predict`;
#   2. boot them under QEMU + OVMF with the software TPM 2.0 the root disk is enrolled in
#      (boot.sh: swtpm, four banks); the guest's initramfs opens the LUKS2 root disk with the TPM
#      and the UKI's signed PCR 11 policy (systemd-cryptsetup), measures its plaintext into PCR
#      16, reads some of it (IMA measures that) and reports its PCRs, the firmware's event log and
#      the IMA list on a second serial port;
#   3. `integral verify` checks the guest's PCRs and its event log against the prediction, and a
#      table shows per PCR where the prediction comes from, prediction, observation and verdicts;
#      the IMA list against the root image's runtime policy (integral mkfs --ima-policy).
# The platform's own events (PCRs 0-3, 6; PCRs 4, 5, 7 up to the firmware's separator) come from
# a reference event log of the same platform (profile-ovmf-q35*.bin, made by record-profile.sh);
# every other event is predicted from the artifacts.
# By default Secure Boot is enforced: the UKI is signed with Debian's snakeoil key and booted by
# the Secure Boot OVMF with the snakeoil keys enrolled; SECURE_BOOT=0 boots the unsigned UKI on
# the plain OVMF.
# usage: run.sh [OUTDIR]      env: INTEGRAL, KERNEL_DIR, QEMU_TIMEOUT (s), ACCEL (tcg|kvm),
#                             SECURE_BOOT (1, default, or 0), PROFILE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/uefi-example}
integral=${INTEGRAL:-$top/build/integral}
. "$top/examples/lib.sh"
export SECURE_BOOT=${SECURE_BOOT:-1}
if [[ $SECURE_BOOT != 0 ]]; then
  profile=${PROFILE:-$here/profile-ovmf-q35-secboot.bin}
  stages=$here/stages-secboot.toml
  export SIGN_KEY=${SIGN_KEY:-/usr/share/ovmf/PkKek-1-snakeoil.key}
  export SIGN_CERT=${SIGN_CERT:-/usr/share/ovmf/PkKek-1-snakeoil.pem}
  export SIGN_KEY_PASS=${SIGN_KEY_PASS-snakeoil}
else
  profile=${PROFILE:-$here/profile-ovmf-q35.bin}
  stages=$here/stages.toml
  unset SIGN_KEY
fi
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

example_outdir example "$out"

echo "== kernel (apt-get download, cached)"
kernel=${KERNEL_DIR:-$("$here/fetch-kernel.sh")}
echo "$(cat "$kernel/package" 2>/dev/null || echo "$kernel")"

t=$(now)
echo "== building UKI, ESP and root image${SIGN_KEY:+ (UKI signed with $SIGN_CERT)}"
"$here/build.sh" "$kernel" "$out"
sha256sum "$out/uki.efi" "$out/rootfs.img" | sed 's|  .*/|  |'
build_s=$(since "$t")

t=$(now)
echo "== predicting (platform profile: ${profile##*/})"
cp "$profile" "$out/profile.bin"
{
  printf 'banks = ["sha1", "sha256", "sha384", "sha512"]\n\n'
  cat "$stages"
} >"$out/boot.toml"
"$integral" predict "$out/boot.toml" --json -o "$out/prediction.json"
"$integral" predict "$out/boot.toml" --yaml >"$out/predicted.yaml"
predict_s=$(since "$t")

echo "== booting under QEMU (accel=${ACCEL:-tcg}) + OVMF (Secure Boot $([[ $SECURE_BOOT != 0 ]] && echo on || echo off)) + swtpm"
"$here/boot.sh" "$out"
boot_s=$(cat "$out/boot.seconds")

t=$(now)
echo "== verifying the guest's PCRs and event log against the prediction"
example_verify "$out"
verify_s=$(since "$t")

# Where each PCR's predicted events come from: the profile (copied from the reference log),
# the artifacts, or both.
source_of() {
  jq -r --argjson p "$1" '[.events[] | select(.pcr == $p) | .rule] |
    if length == 0 then "reset"
    elif all(. == "profile/copy") then "profile"
    elif any(. == "profile/copy") then "profile+artifacts"
    else "artifacts" end' "$out/prediction.json"
}
example_table "$out" source_of 0 1 2 3 4 5 6 7 8 9 11 12 16
echo "timing: build ${build_s}s, predict ${predict_s}s, boot ${boot_s}s (swtpm start to QEMU exit), verify ${verify_s}s"
tail -1 "$out/verify-log.txt" | sed 's/^/event log: /'
cat "$out/verify-pcrs.txt" | tail -1
urc=0
if [[ -f $out/luks.img ]]; then
  if grep -q '^UNLOCK ok' "$out/run/report.txt"; then
    echo "root disk: LUKS2, opened by the TPM with the UKI's signed PCR 11 policy (.pcrsig)"
  else
    echo "root disk: LUKS2, NOT opened:"
    grep '^UNLOCK' "$out/run/report.txt" || true
    urc=1
  fi
fi
# IMA: every file the guest measured from its root image, against the policy mkfs wrote while
# it built the image.
irc=0
if [[ -f $out/rootfs.ima-policy.json ]]; then
  if [[ ! -s $out/ima.txt ]]; then
    echo "IMA: the guest reported no IMA list"
    irc=1
  elif "$integral" verify --log "$out/ima.txt" --ima-policy "$out/rootfs.ima-policy.json" \
    >"$out/verify-ima.txt" 2>&1; then
    echo "IMA: $(grep -c ' /mnt/' "$out/ima.txt") files measured from the root image, each as built (rootfs.ima-policy.json)"
  else
    echo "IMA: files not as built:"
    cat "$out/verify-ima.txt"
    irc=1
  fi
fi
if ((rc != 0 || lrc != 0 || urc != 0 || irc != 0)); then
  echo "---- PCRs:"; cat "$out/verify-pcrs.txt"
  echo "---- event log:"; cat "$out/verify-log.txt"
  exit 1
fi
