#!/usr/bin/env bash
# Makes the example's root disk a LUKS2 volume that the guest's TPM opens on a boot whose PCR 11
# is signed by the PCR key, as systemd seals a disk to a public key (TPM2 PolicyAuthorize):
#   OUTDIR/luks.img      rootfs.img encrypted in place by cryptsetup's offline reencryption (no
#                        device-mapper on the build machine), cut so that the volume's plaintext
#                        is exactly rootfs.img (the guest measures the same bytes); keyslot 0
#                        opens with recovery.key, keyslot 1 is systemd-cryptenroll's TPM2 token:
#                        --tpm2-public-key PUBKEY --tpm2-public-key-pcrs=11 --tpm2-pcrs=
#   OUTDIR/tpm/          the software TPM (swtpm, four banks) the guest boots with; its storage
#                        key seals the token's secret, so the volume opens in that TPM only
#   OUTDIR/recovery.key  keyslot 0's passphrase
# Any later UKI whose .pcrsig is signed by the same key opens the volume: no re-enrollment.
# usage: luks-root.sh OUTDIR PUBKEY.pem
set -euo pipefail
out=$(cd "${1:?usage: $0 OUTDIR PUBKEY.pem}" && pwd)
pub=${2:?usage: $0 OUTDIR PUBKEY.pem}
run=$(mktemp -d)
swtpm_pid=
stop() {
  [[ -z $swtpm_pid ]] || { kill "$swtpm_pid" 2>/dev/null; wait "$swtpm_pid" 2>/dev/null || true; }
  rm -rf "$run"
}
trap stop EXIT

rm -rf "$out/tpm" "$out/luks.img"
mkdir -p "$out/tpm"
swtpm_setup --tpm2 --tpmstate "$out/tpm" --pcr-banks sha1,sha256,sha384,sha512 --overwrite \
  >"$run/setup.log" 2>&1 || { cat "$run/setup.log" >&2; exit 4; }
(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '\n' >"$out/recovery.key")

# Encrypt: room for the header at the end, then cryptsetup moves the data behind its header.
# The data segment runs to the end of the device, so the file is cut after rootfs.img's bytes.
size=$(stat -c %s "$out/rootfs.img")
cp "$out/rootfs.img" "$out/luks.img"
truncate -s +16M "$out/luks.img"
# PBKDF2 with few iterations: the passphrase is random, and the guest runs under emulation
cryptsetup -q reencrypt --encrypt --type luks2 --reduce-device-size 16M \
  --key-file "$out/recovery.key" --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$out/luks.img"
offset=$(cryptsetup luksDump --dump-json-metadata "$out/luks.img" | jq -r '.segments["0"].offset')
[[ $offset =~ ^[0-9]+$ ]] || { echo "luks-root.sh: no data segment offset" >&2; exit 4; }
truncate -s $((offset + size)) "$out/luks.img"

# Enroll in the TPM the guest will boot with, then shut it down cleanly (TPM2_Shutdown).
swtpm socket --tpm2 --tpmstate dir="$out/tpm" --server type=unixio,path="$run/tpm.sock" \
  --ctrl type=unixio,path="$run/tpm.sock.ctrl" --flags not-need-init,startup-clear \
  --log file="$run/swtpm.log" &
swtpm_pid=$!
for _ in $(seq 200); do [[ -S $run/tpm.sock ]] && break; sleep 0.02; done
tcti="swtpm:path=$run/tpm.sock"
PASSWORD=$(cat "$out/recovery.key") systemd-cryptenroll --tpm2-device="$tcti" \
  --tpm2-public-key="$pub" --tpm2-public-key-pcrs=11 --tpm2-pcrs= "$out/luks.img" \
  >"$run/enroll.log" 2>&1 || { cat "$run/enroll.log" >&2; exit 4; }
TPM2TOOLS_TCTI=$tcti tpm2_shutdown
kill "$swtpm_pid"
wait "$swtpm_pid" 2>/dev/null || true
swtpm_pid=
