#!/usr/bin/env bash
# The `file` stage method meta-measured-tpm12 against a real TPM 1.2 (swtpm without --tpm2):
# the image is measured as meta-measured's init-boot-tpm.sh does, the resulting digest is
# extended with a raw TPM_Extend, and the PCR read back with TPM_PCRRead must equal
# `integral predict`'s SHA-1 value for the same image; a one-byte change of the image must
# move both to the same new value.
#
# What tpm_extendpcr extends: the init script runs
#   data=$(sha1sum -b IMG | awk '{ print $1 }' | tr -d '\n'); echo -n "$data" | tpm_extendpcr --pcr 9
# meta-measured's tpm_extendpcr (its tpm-tools patch, src/cmds/tpm_extendpcr.c) reads its input
# (stdin without -i), digests it with EVP_sha1 and calls Tspi_TPM_PcrExtend(hTpm, pcr, 20,
# digest, NULL event, ...); trousers' Tspi_TPM_PcrExtend (src/tspi/tspi_pcr_extend.c), given
# no event, requires exactly 20 bytes and passes them unchanged to TPM_Extend. So the TPM
# receives SHA1(the 40 hex characters), and PCR := SHA1(PCR || that digest).
# No Debian package has a TPM 1.2 tool with tpm_extendpcr, so the commands go to swtpm's
# socket as bytes (TPM 1.2 main specification part 3: TPM_Startup, TPM_Extend, TPM_PCRRead).
. "$(dirname "$0")/lib/common.sh"

command -v swtpm >/dev/null || { echo "swtpm is not installed" >&2; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed" >&2; exit 77; }
PCR=9

# A TPM 1.2 client: python3 with the socket module only. Prints the PCR after the extend.
cat >"$WORK/tpm12.py" <<'PY'
import socket, struct, sys

sock_path, pcr, digest_hex = sys.argv[1], int(sys.argv[2]), sys.argv[3]
TAG_RQU_COMMAND, TAG_RSP_COMMAND = 0x00C1, 0x00C4
ORD_EXTEND, ORD_PCRREAD, ORD_STARTUP = 0x14, 0x15, 0x99
TPM_ST_CLEAR = 0x0001

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sock_path)

def recv_exact(n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            sys.exit("swtpm closed the connection")
        b += chunk
    return b

def command(ordinal, params):
    # request: tag (2) | paramSize (4, whole command) | ordinal (4) | parameters
    s.sendall(struct.pack(">HII", TAG_RQU_COMMAND, 10 + len(params), ordinal) + params)
    tag, size, rc = struct.unpack(">HII", recv_exact(10))
    if tag != TAG_RSP_COMMAND or size < 10:
        sys.exit(f"bad response header: tag {tag:#x} size {size}")
    return rc, recv_exact(size - 10)

def pcr_read(index):
    rc, body = command(ORD_PCRREAD, struct.pack(">I", index))
    if rc != 0 or len(body) != 20:
        sys.exit(f"TPM_PCRRead: rc {rc:#x}")
    return body

rc, _ = command(ORD_STARTUP, struct.pack(">H", TPM_ST_CLEAR))
if rc != 0:
    sys.exit(f"TPM_Startup(ST_CLEAR): rc {rc:#x}")
if pcr_read(pcr) != bytes(20):
    sys.exit(f"PCR {pcr} does not start at zero")
digest = bytes.fromhex(digest_hex)
assert len(digest) == 20
rc, out = command(ORD_EXTEND, struct.pack(">I", pcr) + digest)
if rc != 0 or len(out) != 20:
    sys.exit(f"TPM_Extend: rc {rc:#x}")
value = pcr_read(pcr)
if value != out:
    sys.exit("TPM_PCRRead differs from TPM_Extend's outDigest")
print(value.hex())
PY

# tpm12_extend NAME DIGEST: a fresh TPM 1.2 (empty state, so every PCR starts at zero) on a
# unix socket in the scratch directory; sets TPM_PCR to PCR $PCR after extending DIGEST into it.
# Runs in this shell (not a $(...) subshell), so a swtpm that does not start ends the test with
# a skip and is stopped by PID, and swtpm holds no pipe of ours.
tpm12_extend() {
  local dir=$WORK/tpm12-$1
  mkdir -p "$dir/state"
  swtpm socket --tpmstate dir="$dir/state" \
    --server type=unixio,path="$dir/tpm.sock" --ctrl type=unixio,path="$dir/tpm.sock.ctrl" \
    --flags not-need-init --log file="$dir/swtpm.log" </dev/null >/dev/null 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  local i=0
  while [[ ! -S "$dir/tpm.sock" ]]; do
    if ! kill -0 "$pid" 2>/dev/null || [[ $((i += 1)) -gt 250 ]]; then
      kill "$pid" 2>/dev/null || true
      skip_all "swtpm does not start in TPM 1.2 mode: $(cat "$dir/swtpm.log" 2>/dev/null)"
    fi
    sleep 0.02
  done
  TPM_PCR=$(python3 "$WORK/tpm12.py" "$dir/tpm.sock" "$PCR" "$2") || TPM_PCR=""
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# What the init script hands to tpm_extendpcr, and what that extends (see above).
extend_digest() {
  local data
  data=$(sha1sum -b "$1" | awk '{ print $1 }' | tr -d '\n')
  printf '%s' "$data" | sha1sum | cut -c1-40
}

# predicted_sha1 IMG (an image in $WORK): predict's SHA-1 PCR for a boot description beside it
predicted_sha1() {
  cat >"$WORK/boot.toml" <<EOF
banks = ["sha1"]

[[stage]]
name = "initramfs measures the root image"
type = "file"
pcr = $PCR
path = "$(basename "$1")"
method = "meta-measured-tpm12"
EOF
  "$INTEGRAL" predict "$WORK/boot.toml" --json | jq -r ".pcrs.sha1.\"$PCR\" // empty"
}

IMG=$WORK/rootfs.img
prng_bytes meta-measured-tpm12 $((3 << 20)) >"$IMG"

tpm12_extend a "$(extend_digest "$IMG")"
tpm=$TPM_PCR
pred=$(predicted_sha1 "$IMG")
[[ "$tpm" =~ ^[0-9a-f]{40}$ && "$tpm" != "$(printf '0%.0s' {1..40})" ]] &&
  ok "TPM 1.2 PCR $PCR after the extend: $tpm" || bad "TPM 1.2 PCR read: '$tpm'"
[[ -n "$pred" && "$pred" == "$tpm" ]] && ok "predict's SHA-1 PCR $PCR equals the TPM 1.2's" ||
  bad "predict '$pred' vs TPM 1.2 '$tpm'"
# The comparison tells the rules apart: extending SHA1(IMG) itself (the binary digest, not its
# hex through tpm_extendpcr) gives another PCR.
tpm12_extend raw "$(sha1sum -b "$IMG" | cut -c1-40)"
raw=$TPM_PCR
[[ "$raw" != "$pred" ]] && ok "extending SHA1(IMG) directly would give another value ($raw)" ||
  bad "SHA1(IMG) and SHA1(hex) extend to the same PCR?"

# One byte changed in the middle of the image: both move, to the same value.
cp "$IMG" "$WORK/changed.img"
printf '\x5a' | dd of="$WORK/changed.img" bs=1 seek=$((3 << 19)) conv=notrunc 2>/dev/null
cmp -s "$IMG" "$WORK/changed.img" && bad "the byte did not change"
mv "$WORK/changed.img" "$IMG"
tpm12_extend b "$(extend_digest "$IMG")"
tpm2=$TPM_PCR
pred2=$(predicted_sha1 "$IMG")
[[ "$tpm2" != "$tpm" ]] && ok "one byte changed: the TPM's PCR moves" || bad "one byte changed: TPM PCR did not move"
[[ -n "$pred2" && "$pred2" == "$tpm2" ]] && ok "one byte changed: predict follows to the TPM's new value" ||
  bad "one byte changed: predict '$pred2' vs TPM '$tpm2'"

finish
