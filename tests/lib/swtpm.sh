# A real TPM 2.0 for tests: swtpm (libtpms) with the sha1, sha256, sha384 and sha512 banks
# active, on a unix socket in the test's scratch directory, driven through tpm2-tools.
# Source after common.sh.

SWTPM_TEMPLATE="$WORK/swtpm-template"
SWTPM_PID=

# Manufacture one TPM state once per test; each boot copies it (swtpm_setup takes ~1 s).
swtpm_manufacture() {
  mkdir -p "$SWTPM_TEMPLATE"
  swtpm_setup --tpm2 --tpmstate "$SWTPM_TEMPLATE" --pcr-banks sha1,sha256,sha384,sha512 \
    --overwrite >"$WORK/swtpm_setup.log" 2>&1 || {
    cat "$WORK/swtpm_setup.log" >&2
    return 1
  }
}

# swtpm_start NAME: a fresh TPM from the template, powered on and started (TPM2_Startup(CLEAR)).
swtpm_start() {
  local dir="$WORK/tpm-$1"
  [[ -d "$SWTPM_TEMPLATE" ]] || swtpm_manufacture
  rm -rf "$dir" && cp -a "$SWTPM_TEMPLATE" "$dir"
  swtpm socket --tpm2 --tpmstate dir="$dir" \
    --server type=unixio,path="$dir/tpm.sock" --ctrl type=unixio,path="$dir/tpm.sock.ctrl" \
    --flags not-need-init --log file="$dir/swtpm.log" &
  SWTPM_PID=$!
  PIDS+=("$SWTPM_PID")
  local i=0
  while [[ ! -S "$dir/tpm.sock" || ! -S "$dir/tpm.sock.ctrl" ]]; do
    i=$((i + 1))
    if [[ $i -gt 200 ]]; then
      echo "swtpm did not start" >&2
      return 1
    fi
    sleep 0.02
  done
  export TPM2TOOLS_TCTI="swtpm:path=$dir/tpm.sock"
  tpm2_startup -c
}

swtpm_stop() {
  if [[ -n "$SWTPM_PID" ]]; then
    kill "$SWTPM_PID" 2>/dev/null || true
    wait "$SWTPM_PID" 2>/dev/null || true
    SWTPM_PID=
  fi
}
