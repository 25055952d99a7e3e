#!/usr/bin/env bash
# Boots the artifacts build.sh made in OUTDIR (disk.img or esp.img, the root disk) once under QEMU + OVMF with a
# fresh software TPM 2.0 (swtpm, four banks) and collects the guest's report:
#   OUTDIR/observed.yaml   the guest's PCRs, in tpm2_pcrread's layout
#   OUTDIR/eventlog.bin    the guest's binary TCG event log (securityfs)
#   OUTDIR/ima.txt         the guest's IMA list (ascii_runtime_measurements), when it has one
#   OUTDIR/boot.seconds    swtpm start to QEMU exit
# Every process it starts is stopped by PID; QEMU is bounded by QEMU_TIMEOUT.
# usage: boot.sh OUTDIR    env: QEMU_TIMEOUT (s), ACCEL (tcg|kvm), SECURE_BOOT (1, default:
#        Debian's Secure Boot OVMF build with the snakeoil keys enrolled; 0: the plain OVMF),
#        OVMF_CODE, OVMF_VARS, ROOT_IMAGE and ROOT_FORMAT (the root disk: default
#        OUTDIR/luks.img when build.sh made one, else OUTDIR/rootfs.img, raw; a service VM of
#        examples/service-vms boots its VHD, vpc), TPM_STATE (the TPM state to boot with, copied:
#        default OUTDIR/tpm when build.sh made one, else a freshly manufactured TPM)
set -euo pipefail
out=$(cd "${1:?usage: $0 OUTDIR}" && pwd)
qemu_timeout=${QEMU_TIMEOUT:-420}
accel=${ACCEL:-tcg}
if [[ ${SECURE_BOOT:-1} != 0 ]]; then
  ovmf_code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.secboot.fd}
  ovmf_vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd}
  machine_extra=,smm=on
  sb_args=(-global driver=cfi.pflash01,property=secure,value=on)
else
  ovmf_code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
  ovmf_vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
  machine_extra=
  sb_args=()
fi
banks=(sha1 sha256 sha384 sha512)
now() { date +%s.%N; }

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
# the boot disk: the GPT disk build.sh made, else the bare ESP image
boot_disk=$out/esp.img
[[ ! -f $out/disk.img ]] || boot_disk=$out/disk.img
tpm_state=${TPM_STATE:-}
[[ -n $tpm_state || ! -d $out/tpm ]] || tpm_state=$out/tpm
root_image=${ROOT_IMAGE:-}
[[ -n $root_image ]] || { [[ -f $out/luks.img ]] && root_image=$out/luks.img || root_image=$out/rootfs.img; }
if [[ -n $tpm_state ]]; then
  cp -a "$tpm_state/." "$run/tpm/"  # the TPM the root disk was enrolled in
else
  swtpm_setup --tpm2 --tpmstate "$run/tpm" --pcr-banks "$(IFS=,; echo "${banks[*]}")" --overwrite \
    >"$run/swtpm_setup.log" 2>&1
fi
swtpm socket --tpm2 --tpmstate dir="$run/tpm" --ctrl type=unixio,path="$run/swtpm.sock" \
  --log file="$run/swtpm.log",level=1 &
swtpm_pid=$!
for _ in $(seq 200); do [[ -S $run/swtpm.sock ]] && break; sleep 0.02; done
[[ -S $run/swtpm.sock ]] || { echo "swtpm did not start" >&2; exit 4; }
case $accel in
  kvm) cpu=host,-arch-capabilities ;;
  *) cpu=qemu64 ;;
esac
# KVM does not work on every host (nested virtualization): TCG is the default. The Secure Boot
# build of OVMF needs SMM and a secure flash (its variable store is only writable from SMM).
timeout "$qemu_timeout" qemu-system-x86_64 -machine "q35,accel=$accel$machine_extra" -cpu "$cpu" \
  -m 512 -smp 1 -nodefaults -display none -monitor none -no-reboot "${sb_args[@]}" \
  -drive if=pflash,format=raw,unit=0,readonly=on,file="$ovmf_code" \
  -drive if=pflash,format=raw,unit=1,file="$run/OVMF_VARS.fd" \
  -chardev socket,id=chrtpm,path="$run/swtpm.sock" \
  -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
  -serial file:"$run/console.log" -serial file:"$run/data.log" \
  -drive if=none,id=esp,format=raw,readonly=on,file="$boot_disk" \
  -device virtio-blk-pci,drive=esp \
  -drive if=none,id=root,format="${ROOT_FORMAT:-raw}",readonly=on,file="$root_image" \
  -device virtio-blk-pci,drive=root,serial=integral-root \
  >"$run/qemu.log" 2>&1 &
qemu_pid=$!
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=
wait "$swtpm_pid" 2>/dev/null || true
swtpm_pid=
awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.1f\n", b - a }' >"$out/boot.seconds"
if [[ $rc -ne 0 ]] || ! grep -q '===INTEGRAL-END===' "$run/data.log"; then
  echo "boot failed (qemu exit $rc; timeout $qemu_timeout s); console:" >&2
  tail -20 "$run/console.log" >&2 || true
  exit 4
fi

# The guest's report: PCR lines -> tpm2_pcrread's YAML; the binary event log.
tr -d '\r' <"$run/data.log" >"$run/report.txt"
for b in "${banks[@]}"; do
  echo "  $b:"
  awk -v b="$b" '$1 == "PCR" && $2 == b { printf "    %-2d: 0x%s\n", $3, toupper($4) }' "$run/report.txt"
done >"$out/observed.yaml"
sed -n '/===EVENTLOG-BEGIN===/,/===EVENTLOG-END===/p' "$run/report.txt" | sed '1d;$d' |
  base64 -d >"$out/eventlog.bin"
rm -f "$out/ima.txt"
if grep -q '===IMA-BEGIN===' "$run/report.txt"; then
  sed -n '/===IMA-BEGIN===/,/===IMA-END===/p' "$run/report.txt" | sed '1d;$d' | base64 -d >"$out/ima.txt"
fi
grep -E '^(KERNEL|UNLOCK|EXTRA|MEASURE|EXTEND-RESPONSE|ROOTFS|ERROR)' "$run/report.txt" || true
# A guest whose kernel found no TPM (its TIS driver gives up when the host is too slow to answer
# swtpm's traffic in time) reports no PCRs: say so rather than leave an empty readout.
if ! grep -q '^PCR sha256 ' "$run/report.txt"; then
  echo "the guest reported no PCRs (no TPM found by its kernel?); its report and console:" >&2
  grep -v '^[A-Za-z0-9+/=]*$' "$run/report.txt" | tail -20 >&2 || true
  grep -i tpm "$run/console.log" | tail -10 >&2 || true
  exit 4
fi
