#!/usr/bin/env bash
# IMA per-bank lists (Linux 6.x binary_runtime_measurements_sha256 and friends: each template
# hash in the bank's size) and lists whose first template is not named ima*: composed here
# byte by byte with openssl computing every template hash and the expected PCR 10, then read by
# integral replay / verify / eventlog show with the bank from the file name, from --ima-bank,
# or from the entries' layout.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

command -v openssl >/dev/null || {
  echo "openssl missing"
  exit 77
}

le32() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
  $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"; }
hexof() { od -An -v -tx1 | tr -d ' \n'; }
unhex() { printf "$(sed 's/\(..\)/\\x\1/g')"; }

# Template data of an ima-ng style entry: d-ng ("sha256:" NUL digest) and n-ng (name NUL),
# each with its u32 length. data NAME CONTENT > file
data() {
  { printf 'sha256:\0' && printf '%s' "$2" | openssl dgst -sha256 -binary; } >dng
  { le32 "$(stat -c %s dng)" && cat dng && le32 $((${#1} + 1)) && printf '%s\0' "$1"; }
}

# entry TEMPLATE-NAME DATA-FILE BANK [violation] >> list: u32 PCR 10, the template hash in
# BANK, u32 name length, name, u32 data length, data.
entry() {
  le32 10
  if [[ ${4:-} == violation ]]; then
    head -c "$(openssl dgst -"$3" -binary </dev/null | wc -c)" /dev/zero
  else
    openssl dgst -"$3" -binary "$2"
  fi
  le32 ${#1}
  printf '%s' "$1"
  le32 "$(stat -c %s "$2")"
  cat "$2"
}

# PCR 10 in BANK after extending each data file (v: a violation, all-ones).
pcr10() {
  local bank=$1 size pcr
  shift
  size=$(openssl dgst -"$bank" -binary </dev/null | wc -c)
  pcr=$(head -c "$size" /dev/zero | hexof)
  for f in "$@"; do
    if [[ $f == v ]]; then
      v=$(head -c "$size" /dev/zero | tr '\0' '\377' | hexof)
    else
      v=$(openssl dgst -"$bank" -binary "$f" | hexof)
    fi
    pcr=$(printf '%s%s' "$pcr" "$v" | unhex | openssl dgst -"$bank" -binary | hexof)
  done
  echo "$pcr"
}

data boot_aggregate "pcrs" >d0
data /usr/bin/bash "bash" >d1
data /etc/passwd "passwd" >d2
data /init "init" >d3

for bank in sha256 sha384 sha512; do
  { entry ima-ng d0 $bank && entry ima-ng d1 $bank && entry ima-ng d2 $bank violation &&
    entry ima-ng d3 $bank; } >binary_runtime_measurements_$bank
  want1=$(pcr10 sha1 d0 d1 v d3)
  want256=$(pcr10 sha256 d0 d1 v d3)
  want384=$(pcr10 sha384 d0 d1 v d3)
  cp binary_runtime_measurements_$bank list.bin
  for how in "binary_runtime_measurements_$bank" "list.bin" "--ima-bank $bank list.bin"; do
    # shellcheck disable=SC2086 # $how is an option and a file
    if "$INTEGRAL" replay --bank sha1,sha256,sha384 --json $how >out.json 2>err.txt &&
      [[ $(jq -r '.pcrs.sha1["10"]' out.json) == "$want1" ]] &&
      [[ $(jq -r '.pcrs.sha256["10"]' out.json) == "$want256" ]] &&
      [[ $(jq -r '.pcrs.sha384["10"]' out.json) == "$want384" ]] &&
      [[ $(jq -r .violations out.json) == 1 ]]; then
      ok "$bank list ($how): PCR 10 in sha1/sha256/sha384 as openssl composes it"
    else
      bad "$bank list ($how): $(cat out.json err.txt)"
    fi
  done
  if "$INTEGRAL" eventlog show --json list.bin >show.json 2>err.txt &&
    [[ $(jq -r '[.entries[].check] | join(",")' show.json) == "ok,ok,violation,ok" ]] &&
    [[ $(jq -r .bank show.json) == "$bank" ]]; then
    ok "$bank list: eventlog show checks template hashes in $bank"
  else
    bad "$bank list: eventlog show: $(cat show.json err.txt)"
  fi
  printf '  sha1:\n    10: 0x%s\n  sha256:\n    10: 0x%s\n' "${want1^^}" "${want256^^}" >pcrs.yaml
  if "$INTEGRAL" verify --log list.bin --pcrs pcrs.yaml >out.txt 2>&1; then
    ok "$bank list: verify --log against the readout"
  else
    bad "$bank list: verify: $(cat out.txt)"
  fi
done

# The wrong bank named: the entries do not parse, and the error says what was expected.
set +e
"$INTEGRAL" replay --format ima --ima-bank sha1 binary_runtime_measurements_sha256 >out.txt 2>err.txt
rc=$?
set -e
[[ $rc -eq 3 ]] && grep -q "not an IMA list: entry at offset 0: .*(expected PCR index, digest of 20 bytes (sha1), template name)" err.txt &&
  ok "a sha256 list read as sha1: exit 3, the expectation named" || bad "wrong bank: rc=$rc $(cat err.txt)"

# --ima-bank alone says the file is an IMA list: one the layout does not fit is refused as such.
head -c 64 /dev/zero >zeros.bin
set +e
"$INTEGRAL" eventlog show --ima-bank sha256 zeros.bin >out.txt 2>err.txt
rc=$?
set -e
[[ $rc -eq 3 ]] && grep -q "not an IMA list: entry at offset 0: template name length 0" err.txt &&
  ok "--ima-bank without --format reads the file as an IMA list" || bad "--ima-bank alone: rc=$rc $(cat err.txt)"

# First templates not named ima*: a custom template (the kernel names it by its format string)
# and ima-modsig; sniffed as IMA lists by layout, without --format.
for first in 'd-ng|n-ng' 'd-ng|n-ng|sig' ima-modsig; do
  { entry "$first" d0 sha1 && entry ima-ng d1 sha1 && entry ima-ng d3 sha1; } >custom.bin
  if "$INTEGRAL" replay --bank sha1,sha256 --json custom.bin >out.json 2>err.txt &&
    [[ $(jq -r '.pcrs.sha1["10"]' out.json) == "$(pcr10 sha1 d0 d1 d3)" ]] &&
    [[ $(jq -r '.pcrs.sha256["10"]' out.json) == "$(pcr10 sha256 d0 d1 d3)" ]]; then
    ok "a list starting with $first is sniffed and replayed"
  else
    bad "list starting with $first: $(cat out.json err.txt)"
  fi
done

finish
