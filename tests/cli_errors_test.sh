#!/usr/bin/env bash
# Bad input gets one clear line naming the file and the problem, exit status 2 (usage) or 3
# (bad input), and no output file.
. "$(dirname "$0")/lib/common.sh"

cd "$WORK"
echo "root" >root.img
stage='[[stage]]
type = "file"
pcr = 9
path = "root.img"'
printf 'banks = ["sha256"]\n%s\n' "$stage" >good.toml
printf 'banks = ["sha256"\n%s\n' "$stage" >malformed.toml
printf 'banks = ["sha999"]\n%s\n' "$stage" >badbank.toml
printf 'banks = ["sha256"]\n[[stage]]\ntype = "file"\npcr = 31\npath = "root.img"\n' >badpcr.toml
printf 'banks = ["sha256"]\n[[stage]]\ntype = "file"\npcr = 9\npath = "missing.img"\n' >missingfile.toml
printf '  sha256:\n    9 : 0x1234\n' >short.yaml
"$INTEGRAL" predict good.toml --json -o good.json

# expect STATUS NEEDLE -- ARGS...: exit status, one stderr line containing NEEDLE, no out.json
expect() {
  local want=$1 needle=$2
  shift 3
  rm -f out.json
  set +e
  "$INTEGRAL" "$@" >stdout.txt 2>stderr.txt
  local rc=$?
  set -e
  local lines
  lines=$(wc -l <stderr.txt)
  if [[ $rc -eq $want && $lines -eq 1 ]] && grep -qF -- "$needle" stderr.txt && [[ ! -e out.json ]] &&
    [[ ! -s stdout.txt ]]; then
    ok "$* -> $rc: $(cat stderr.txt)"
  else
    bad "$* -> rc=$rc (want $want), stderr: $(cat stderr.txt)"
  fi
}

expect 3 "missing.toml: No such file" -- predict missing.toml -o out.json
expect 3 "malformed.toml: line" -- predict malformed.toml -o out.json
expect 3 "badbank.toml: line 1: unknown bank 'sha999'" -- predict badbank.toml -o out.json
expect 3 "badpcr.toml: line 4: stage 1 (file): 'pcr' 31 is out of range" -- predict badpcr.toml -o out.json
expect 3 "missingfile.toml: line 5: stage 1 (file): 'path'" -- predict missingfile.toml --json -o out.json
expect 2 "PCR 24 is out of range" -- predict good.toml --pcrs sha256:24 -o out.json
expect 2 "unknown bank 'md5'" -- predict good.toml --policy md5:1 -o out.json
expect 2 "names bank sha1 that good.toml does not have" -- predict good.toml --pcrs sha1:9 -o out.json
expect 3 "short.yaml: line 2: PCR 9 is not a 32-byte sha256 value" -- verify --expect good.toml --pcrs short.yaml
expect 3 "malformed.toml" -- verify --expect malformed.toml --pcrs short.yaml
expect 3 "nothere.yaml: No such file" -- verify --expect good.json --pcrs nothere.yaml
sed 's/"pcr": 9/"pcr": 99/' good.json >bad.json
expect 3 "bad.json: not an integral prediction" -- verify --expect bad.json --pcrs short.yaml
# JSON inputs: a number too large for a double, or a value of the wrong type, is bad input
# naming the file (nlohmann's out_of_range / type_error used to escape as internal errors).
printf '{"Log": {"Raw": "", "PCRs": [{"Index": 8e888, "Digest": "", "DigestAlg": 5}]}}' >overflow.json
expect 3 "overflow.json: offset 0x" -- eventlog show --format go-attestation overflow.json
printf 'title\n[{"pcr":{"index":8e888,"bank":"SHA1"},"tpm_events":[]}]\n' >txt-overflow.txt
expect 3 "txt-overflow.txt: offset 0x" -- txt log txt-overflow.txt
sed 's/"pcr": 9/"pcr": 9e999/' good.json >overflow-prediction.json
expect 3 "overflow-prediction.json: offset 0x" -- verify --expect overflow-prediction.json --pcrs short.yaml
printf '[DEFAULT]\nbasedir = %s\nstatus-file = %s/status.json\n' "$WORK" "$WORK" >poll.conf
printf '{"repositories": [5]}' >status.json
expect 3 "status.json: not a status file" -- poll poll.conf --status
printf '{"repositories": [{"name": 7}]}' >status.json
expect 3 "status.json: not a status file" -- poll poll.conf --status
expect 2 "" -- predict
expect 2 "" -- frobnicate
# Every list of hash algorithms (--bank, --alg, --measure, --ima-padded) is read by one rule: an
# empty item is refused (main's hash/pe/txt dropped a trailing one through CLI11's split).
expect 2 "'sha256,' has an empty item" -- hash --bank sha256, root.img
expect 2 "'sha1,,sha256' has an empty item" -- mkfs --tree . -o out.json --measure sha1,,sha256
expect 2 "unknown hash algorithm 'md5'" -- pe hash --alg md5 root.img
finish
