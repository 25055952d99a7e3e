#!/usr/bin/env bash
# A real measured UEFI boot of the example, predicted and verified:
#   1. build the artifacts (build.sh: UKI from Debian's kernel and systemd-stub, FAT ESP,
#      root image) and predict every PCR with `integral predict`;
#   2. boot them under QEMU + OVMF with a fresh software TPM 2.0 (swtpm, four banks); the
#      guest's initramfs measures the root image into PCR 16 and reports its PCRs on a second
#      serial port;
#   3. `integral verify` checks the guest's PCRs against the prediction, and a table shows
#      prediction, observation and verdict per PCR.
# PCRs 0-3's firmware events come from a recorded platform profile (profile-*.toml); every other
# event is predicted from the artifacts.
# usage: run.sh [OUTDIR]      env: INTEGRAL, KERNEL_DIR, QEMU_TIMEOUT (s), ACCEL (tcg|kvm)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/uefi-example}
integral=${INTEGRAL:-$top/build/integral}
qemu_timeout=${QEMU_TIMEOUT:-420}
accel=${ACCEL:-tcg}
ovmf_code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
ovmf_vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
profile=${PROFILE:-$here/profile-ovmf-q35.toml}
banks=(sha1 sha256 sha384 sha512)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if [[ -z "${INTEGRAL:-}" ]]; then
  echo "== building integral"
  CMAKE_BUILD_QUIET=1 "$top/scripts/build.sh"
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

echo "== kernel (apt-get download, cached)"
kernel=${KERNEL_DIR:-$("$here/fetch-kernel.sh")}
echo "$(cat "$kernel/package" 2>/dev/null || echo "$kernel")"

t=$(now)
echo "== building UKI, ESP and root image"
"$here/build.sh" "$kernel" "$out"
sha256sum "$out/uki.efi" "$out/rootfs.img" | sed 's|  .*/|  |'
build_s=$(since "$t")

echo "== predicting"
{
  printf 'banks = ["sha1", "sha256", "sha384", "sha512"]\n\n'
  cat "$profile"
  echo
  cat "$here/stages.toml"
} >"$out/boot.toml"
"$integral" predict "$out/boot.toml" --json -o "$out/prediction.json"
"$integral" predict "$out/boot.toml" --yaml >"$out/predicted.yaml"

echo "== booting under QEMU (accel=$accel) + OVMF + swtpm"
run="$out/run"
rm -rf "$run"
mkdir -p "$run/tpm"
cp "$ovmf_vars" "$run/OVMF_VARS.fd"
qemu_pid=
swtpm_pid=
stop() {
  [[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null || true
  [[ -n $swtpm_pid ]] && kill "$swtpm_pid" 2>/dev/null || true
  [[ -n $qemu_pid ]] && wait "$qemu_pid" 2>/dev/null || true
  [[ -n $swtpm_pid ]] && wait "$swtpm_pid" 2>/dev/null || true
}
trap stop EXIT INT TERM
t=$(now)
swtpm_setup --tpm2 --tpmstate "$run/tpm" --pcr-banks "$(IFS=,; echo "${banks[*]}")" --overwrite \
  >"$run/swtpm_setup.log" 2>&1
swtpm socket --tpm2 --tpmstate dir="$run/tpm" --ctrl type=unixio,path="$run/swtpm.sock" \
  --log file="$run/swtpm.log",level=1 &
swtpm_pid=$!
for _ in $(seq 200); do [[ -S $run/swtpm.sock ]] && break; sleep 0.02; done
[[ -S $run/swtpm.sock ]] || { echo "swtpm did not start" >&2; exit 4; }
case $accel in
  kvm) cpu=host,-arch-capabilities ;;
  *) cpu=qemu64 ;;
esac
# KVM does not work on every host (nested virtualization): TCG is the default.
timeout "$qemu_timeout" qemu-system-x86_64 -machine "q35,accel=$accel" -cpu "$cpu" -m 512 -smp 1 \
  -nodefaults -display none -monitor none -no-reboot \
  -drive if=pflash,format=raw,unit=0,readonly=on,file="$ovmf_code" \
  -drive if=pflash,format=raw,unit=1,file="$run/OVMF_VARS.fd" \
  -chardev socket,id=chrtpm,path="$run/swtpm.sock" \
  -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
  -serial file:"$run/console.log" -serial file:"$run/data.log" \
  -drive if=none,id=esp,format=raw,readonly=on,file="$out/esp.img" \
  -device virtio-blk-pci,drive=esp \
  -drive if=none,id=root,format=raw,readonly=on,file="$out/rootfs.img" \
  -device virtio-blk-pci,drive=root,serial=integral-root \
  >"$run/qemu.log" 2>&1 &
qemu_pid=$!
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=
wait "$swtpm_pid" 2>/dev/null || true
swtpm_pid=
boot_s=$(since "$t")
if [[ $rc -ne 0 ]] || ! grep -q '===INTEGRAL-END===' "$run/data.log"; then
  echo "boot failed (qemu exit $rc; timeout $qemu_timeout s); console:" >&2
  tail -20 "$run/console.log" >&2 || true
  exit 4
fi

# The guest's report: PCR lines -> tpm2_pcrread's YAML; the event log is kept as an artifact.
tr -d '\r' <"$run/data.log" >"$run/report.txt"
for b in "${banks[@]}"; do
  echo "  $b:"
  awk -v b="$b" '$1 == "PCR" && $2 == b { printf "    %-2d: 0x%s\n", $3, toupper($4) }' "$run/report.txt"
done >"$out/observed.yaml"
sed -n '/===EVENTLOG-BEGIN===/,/===EVENTLOG-END===/p' "$run/report.txt" | sed '1d;$d' |
  base64 -d >"$out/eventlog.bin"
grep -E '^(KERNEL|MEASURE|EXTEND-RESPONSE|ERROR)' "$run/report.txt" || true

echo "== verifying the guest's PCRs against the prediction"
# Every PCR but 10 (IMA's boot_aggregate: not predicted yet) and the DRTM PCRs 17-22.
sel=$(printf '+%s:0,1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,23' "${banks[@]}")
sel=${sel#+}
sha256_of() { # PCR YAML: the sha256 bank's value, lower case, from tpm2_pcrread's layout
  awk -v p="$1" '$1 == "sha256:" { s = 1; next } /^  [a-z]/ { s = 0 }
    s { sub(/:/, " "); if ($1 == p) { sub(/^0x/, "", $2); print tolower($2) } }' "$2"
}
printf '%-4s %-11s %-66s %s\n' PCR source "sha256 predicted / observed" verdict
for p in 0 1 2 3 4 5 6 7 8 9 11 12 16; do
  src=artifacts
  ((p <= 3)) && src=profile+sep
  ((p == 2 || p == 3)) && src=separator
  ((p == 8 || p == 12)) && src="(unused)"
  pv=$(sha256_of "$p" "$out/predicted.yaml")
  ov=$(sha256_of "$p" "$out/observed.yaml")
  verdict=MATCH
  [[ $pv == "$ov" ]] || verdict=MISMATCH
  printf '%-4s %-11s %s\n%-16s %s %s\n' "$p" "$src" "${pv#0x}" "" "${ov#0x}" "$verdict"
done
echo "timing: build ${build_s}s, boot ${boot_s}s (swtpm start to QEMU exit)"
echo "$boot_s" >"$out/boot.seconds"
"$integral" verify --expect "$out/prediction.json" --pcrs "$out/observed.yaml" --select "$sel"
