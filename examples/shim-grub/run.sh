#!/usr/bin/env bash
# A real measured boot through the chain most distributions ship, predicted and verified:
#   1. fetch Debian's signed shim and GRUB and its signed kernel (apt-get download, cached) and
#      build the boot disk (build.sh: GPT disk with the ESP, the initramfs, the root image);
#      predict every PCR with `integral predict` (stages.toml);
#   2. boot it under QEMU + OVMF with Secure Boot enforced and Microsoft's keys enrolled
#      (Debian's OVMF_VARS_4M.ms.fd) and a software TPM 2.0 (examples/uefi-boot/boot.sh);
#   3. `integral verify` checks the guest's PCRs and its event log, event by event, against the
#      prediction, and a table shows per PCR where the prediction comes from.
# The platform's own events (PCRs 0-3, 6; PCRs 4, 5, 7 up to the firmware's separator) come from
# a reference event log of the same platform (profile-ovmf-q35-ms.bin, made by
# record-profile.sh); every other event is predicted from the artifacts.
# usage: run.sh [OUTDIR]   env: INTEGRAL, KERNEL_DIR, CHAIN_DIR, QEMU_TIMEOUT (s), ACCEL,
#                          PROFILE, GRUB_CFG (see build.sh), MOK (an X.509 certificate, DER,
#                          enrolled in the guest's MokList and in the prediction), BOOT_ENTRY=0
#                          (no installed boot option: the firmware finds \EFI\BOOT\BOOTX64.EFI
#                          by itself), PREDICT_ONLY=1 (stop after step 1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/shim-grub-example}
integral=${INTEGRAL:-$top/build/integral}
. "$top/examples/lib.sh"
profile=${PROFILE:-$here/profile-ovmf-q35-ms.bin}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

example_outdir example "$out"
export INTEGRAL=$integral

echo "== kernel, shim and GRUB (apt-get download, cached)"
kernel=${KERNEL_DIR:-$("$top/examples/uefi-boot/fetch-kernel.sh")}
chain=${CHAIN_DIR:-$("$here/fetch-chain.sh")}
cat "$kernel/package" "$chain/packages"

t=$(now)
echo "== building the boot disk (GPT, FAT ESP: shim, GRUB, grub.cfg, kernel, initrd) and root image"
"$here/build.sh" "$kernel" "$chain" "$out"
build_s=$(since "$t")

t=$(now)
echo "== predicting (platform profile: ${profile##*/}${MOK:+; MOK ${MOK##*/} enrolled})"
cp "$profile" "$out/profile.bin"
entry=$(sed -n "s/^boot_entries = \['\(.*\)'\]$/\1/p" "$here/stages.toml")
{
  printf 'banks = ["sha1", "sha256", "sha384", "sha512"]\n\n'
  sed_args=(-e '')
  [[ ${BOOT_ENTRY:-1} != 0 ]] || sed_args+=(-e '/^boot_entries = /d')
  if [[ -n ${MOK:-} ]]; then
    cp "$MOK" "$out/mok.der"
    sed_args+=(-e 's|^shim_lock = \[|mok = ["mok.der"]\nshim_lock = [|')
  fi
  sed "${sed_args[@]}" "$here/stages.toml"
} >"$out/boot.toml"
"$integral" predict "$out/boot.toml" --json -o "$out/prediction.json"
"$integral" predict "$out/boot.toml" --yaml >"$out/predicted.yaml"
predict_s=$(since "$t")
if [[ -n ${PREDICT_ONLY:-} ]]; then
  echo "timing: build ${build_s}s, predict ${predict_s}s (PREDICT_ONLY: no boot)"
  exit 0
fi

echo "== booting under QEMU (accel=${ACCEL:-tcg}) + OVMF (Secure Boot, Microsoft's keys${MOK:+, a MOK}$([[ ${BOOT_ENTRY:-1} == 0 ]] || echo ", boot option Boot0005")) + swtpm"
# The guest's variable store: Microsoft's keys, plus what the installed system wrote there (its
# boot option; a MOK when asked)
var_args=()
[[ ${BOOT_ENTRY:-1} == 0 ]] || var_args+=(--boot-entry "${entry/:disk.img:/:$out/disk.img:}")
[[ -z ${MOK:-} ]] || var_args+=(--mok "$MOK")
python3 "$here/efi-vars.py" /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$out/OVMF_VARS.fd" "${var_args[@]}"
OVMF_VARS=$out/OVMF_VARS.fd "$top/examples/uefi-boot/boot.sh" "$out"
boot_s=$(cat "$out/boot.seconds")

t=$(now)
echo "== verifying the guest's PCRs and event log against the prediction"
example_verify "$out"
verify_s=$(since "$t")

source_of() { # where a PCR's predicted events come from: the stages' rules
  jq -r --argjson p "$1" '[.events[] | select(.pcr == $p) | .rule | split("/")[0]] | unique |
    if length == 0 then "reset" else join("+") end' "$out/prediction.json"
}
example_table "$out" source_of 0 1 2 3 4 5 6 7 8 9 14 16
echo "timing: build ${build_s}s, predict ${predict_s}s, boot ${boot_s}s (swtpm start to QEMU exit), verify ${verify_s}s"
tail -1 "$out/verify-log.txt" | sed 's/^/event log: /'
tail -1 "$out/verify-pcrs.txt"
if ((rc != 0 || lrc != 0)); then
  echo "---- PCRs:"; cat "$out/verify-pcrs.txt"
  echo "---- event log:"; cat "$out/verify-log.txt"
  exit 1
fi
