#!/usr/bin/env bash
# IMA measurement lists: integral's PCR 10 replay must be what evmctl ima_measurement
# (ima-evm-utils) accepts, for the generated ima-ng/ima-sig/ima-buf (with a violation) and
# legacy ima lists, from both the binary and the ASCII form; a changed entry must be caught by
# the template hash check; verify --log compares PCR 10 with a tpm2_pcrread readout.
. "$(dirname "$0")/lib/common.sh"

vectors="${INTEGRAL_SOURCE_DIR:?}/tests/data/ima"
cd "$WORK"

# evmctl's --pcrs files use the TPM 1.2 sysfs layout, PCR-00 .. PCR-23 in order.
pcr_file() { # HEX -> file with PCR-10 = HEX, others zero
  local z
  z=$(printf '%*s' ${#1} '' | tr ' ' 0)
  for i in $(seq 0 23); do
    if [[ $i -eq 10 ]]; then printf 'PCR-%02d: %s\n' "$i" "$1"; else printf 'PCR-%02d: %s\n' "$i" "$z"; fi
  done
}

for stem in ima_ng_sig_buf ima_legacy; do
  for form in bin ascii; do
    "$INTEGRAL" replay --bank sha1,sha256 --json "$vectors/$stem.$form" >"$stem.$form.json"
  done
  s1=$(jq -r '.pcrs.sha1["10"]' "$stem.bin.json")
  s256=$(jq -r '.pcrs.sha256["10"]' "$stem.bin.json")
  pcr_file "$s1" >sha1.pcrs
  pcr_file "$s256" >sha256.pcrs
  if evmctl ima_measurement --ignore-violations --pcrs sha1,sha1.pcrs --pcrs sha256,sha256.pcrs \
    "$vectors/$stem.bin" >/dev/null 2>evmctl.err; then
    ok "$stem: evmctl accepts integral's PCR 10 (sha1 $s1)"
  else
    bad "$stem: evmctl rejects integral's PCR 10: $(tail -2 evmctl.err)"
  fi
  if [[ $(jq -c .pcrs "$stem.ascii.json") == $(jq -c .pcrs "$stem.bin.json") ]]; then
    ok "$stem: ASCII and binary lists replay alike"
  else
    bad "$stem: ASCII and binary differ"
  fi
  # The same values as a tpm2_pcrread readout: verify --log passes, a wrong one fails.
  printf '  sha1:\n    10: 0x%s\n  sha256:\n    10: 0x%s\n' "${s1^^}" "${s256^^}" >pcrs.yaml
  "$INTEGRAL" verify --log "$vectors/$stem.bin" --pcrs pcrs.yaml >/dev/null &&
    ok "$stem: verify --log against the readout" || bad "$stem: verify --log failed"
  printf '  sha1:\n    10: 0x%040d\n' 7 >wrong.yaml
  set +e
  "$INTEGRAL" verify --log "$vectors/$stem.ascii" --pcrs wrong.yaml >out.txt 2>&1
  rc=$?
  set -e
  [[ $rc -eq 1 ]] && grep -q "PCR 10 sha1: MISMATCH" out.txt && ok "$stem: a wrong PCR 10 is a mismatch" ||
    bad "$stem: wrong PCR 10: rc=$rc $(cat out.txt)"
done

# A changed file name in the ASCII list no longer matches its logged template hash.
sed 's|/usr/bin/bash|/usr/bin/dash|' "$vectors/ima_ng_sig_buf.ascii" >changed.ascii
set +e
"$INTEGRAL" replay changed.ascii >out.txt 2>err.txt
rc=$?
set -e
[[ $rc -eq 3 ]] && grep -q "line 2: template hash 6b198f1a" err.txt && ok "changed entry caught at line 2" ||
  bad "changed entry: rc=$rc $(cat err.txt)"

finish
