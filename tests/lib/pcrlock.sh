# Helpers for the tests against systemd-pcrlock 257 (the trixie root of
# scripts/peers/systemd-257-chroot.sh). Source after common.sh and swtpm.sh.

# pcrlock_root: the trixie root (ROOT257), or skip the whole test (it is built as root).
pcrlock_root() {
  [[ $(id -u) -eq 0 ]] || skip_all "the systemd 257 root is built with mmdebstrap: needs root"
  ROOT257=$("$(dirname "${BASH_SOURCE[0]}")/../../scripts/peers/systemd-257-chroot.sh" 2>"$WORK/peer.err") ||
    skip_all "systemd 257: $(cat "$WORK/peer.err")"
}

# run257 BINARY ARGS...: a trixie binary through trixie's loader (no chroot needed).
run257() {
  local bin=$1
  shift
  "$ROOT257/lib64/ld-linux-x86-64.so.2" \
    --library-path "$ROOT257/usr/lib/x86_64-linux-gnu/systemd:$ROOT257/usr/lib/x86_64-linux-gnu" "$ROOT257$bin" "$@"
}
pcrlock() { run257 /usr/lib/systemd/systemd-pcrlock "$@"; }

# pcrlock_predict_from COMPONENTS OUT.json [ARGS...]: `systemd-pcrlock predict` reading only
# COMPONENTS (numbered after pcrlock's own location, 800 on) on a fresh swtpm, from the TPM's
# reset values and an empty firmware log (the TCG log's header event alone, four banks, laid out
# here by hand), so what it predicts is what the components alone say.
pcrlock_predict_from() {
  local comp=$1 out=$2
  shift 2
  python3 - "$WORK/empty.log" <<'PY'
import struct, sys
algs = [(0x0004, 20), (0x000B, 32), (0x000C, 48), (0x000D, 64)]
spec = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(algs))
spec += b"".join(struct.pack("<HH", a, s) for a, s in algs) + b"\0"
open(sys.argv[1], "wb").write(struct.pack("<II", 0, 3) + bytes(20) + struct.pack("<I", len(spec)) + spec)
PY
  swtpm_start pcrlock
  SYSTEMD_TPM2_DEVICE="$TPM2TOOLS_TCTI" SYSTEMD_MEASURE_LOG_FIRMWARE="$WORK/empty.log" \
    SYSTEMD_MEASURE_LOG_USERSPACE=/nonexistent pcrlock predict --components="$comp" --json=short "$@" \
    >"$out" 2>"$out.err" || bad "pcrlock predict: $(tail -3 "$out.err")"
  swtpm_stop
}
