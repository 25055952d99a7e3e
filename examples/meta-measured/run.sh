#!/usr/bin/env bash
# The main job on the bundled example, end to end:
#   1. build integral and a reproducible busybox root image;
#   2. predict the PCRs its measured boot will produce (and a PolicyPCR digest to seal to);
#   3. "boot" it on a fresh software TPM (swtpm) by doing exactly what the initramfs does;
#   4. read the TPM's PCRs and verify them against the prediction, side by side.
# usage: examples/meta-measured/run.sh [OUTDIR]     (default: build/example)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/example}
integral=${INTEGRAL:-$top/build/integral}
. "$top/examples/lib.sh"

example_outdir core "$out"

echo "== building the root image (busybox, ext4, reproducible)"
"$here/build-rootfs.sh" "$out"
cp "$here/boot.toml" "$out/boot.toml"
sha256sum "$out/rootfs.img" | sed 's|  .*/|  |'

echo "== predicting"
"$integral" predict "$out/boot.toml" --events --policy sha1:9
"$integral" predict "$out/boot.toml" --json -o "$out/prediction.json"

echo "== booting on swtpm: the initramfs measures rootfs.img into PCR 9"
tpm="$out/tpm"
rm -rf "$tpm" && mkdir -p "$tpm"
swtpm_setup --tpm2 --tpmstate "$tpm" --pcr-banks sha1,sha256,sha384,sha512 --overwrite \
  >"$out/swtpm_setup.log" 2>&1
swtpm socket --tpm2 --tpmstate dir="$tpm" --server type=unixio,path="$tpm/sock" \
  --ctrl type=unixio,path="$tpm/sock.ctrl" --flags not-need-init --log file="$tpm/swtpm.log" &
swtpm_pid=$!
trap 'kill "$swtpm_pid" 2>/dev/null || true; wait "$swtpm_pid" 2>/dev/null || true' EXIT
for _ in $(seq 200); do [[ -S "$tpm/sock.ctrl" ]] && break; sleep 0.02; done
export TPM2TOOLS_TCTI="swtpm:path=$tpm/sock"
tpm2_startup -c
# init-boot-tpm.sh: data=$(sha1sum -b IMG | awk '{print $1}' | tr -d '\n');
# echo -n "$data" | tpm_extendpcr --pcr 9. tpm_extendpcr (TPM 1.2) SHA-1-hashes what it reads
# and extends that; on this TPM 2.0 the same digest goes to the SHA-1 bank.
data=$(sha1sum -b "$out/rootfs.img" | awk '{ print $1 }' | tr -d '\n')
tpm2_pcrextend "9:sha1=$(echo -n "$data" | sha1sum | cut -c1-40)"
tpm2_pcrread >"$out/observed.yaml"
kill "$swtpm_pid" && wait "$swtpm_pid" 2>/dev/null || true
trap - EXIT

echo "== verifying the TPM's PCRs against the prediction"
# PCR 9 in every bank carries the measurement; a few others must still hold reset values.
"$integral" verify --expect "$out/prediction.json" --pcrs "$out/observed.yaml" \
  --select sha1:0,9,16,17,23+sha256:9+sha384:9+sha512:9
