#!/usr/bin/env bash
# integral verify --log and integral replay on the shared real-boot vectors: the replay is
# checked against the PCRs recorded with each log (real TPM reads/quotes, or tpm2_eventlog's
# replay), mismatches exit 1 naming the PCR, and --expect names the first diverging event with
# both digests and the predicted event's provenance. Predictions are built from tpm2_eventlog's
# decoding of the same log (an independent reading of the event digests).
. "$(dirname "$0")/lib/common.sh"

vectors="${INTEGRAL_SOURCE_DIR:?}/tests/data/eventlogs"
expected="$vectors/expected_pcrs.json"
cd "$WORK"

# run WANT_STATUS NAME ARGS...: runs integral, keeps stdout in out.txt
run() {
  local want=$1 name=$2
  shift 2
  set +e
  "$INTEGRAL" "$@" >out.txt 2>err.txt
  local rc=$?
  set -e
  if [[ $rc -eq $want ]]; then
    ok "$name (exit $rc)"
  else
    bad "$name: exit $rc, want $want: $(head -3 err.txt) $(tail -3 out.txt)"
  fi
}

# expected_pcrs.json -> tpm2_pcrread YAML for one vector (values written as the tool does).
pcrread_yaml() {
  jq -r --arg v "$1" '.vectors[$v].expected | to_entries[] |
    "  \(.key):", (.value | to_entries | sort_by(.key | tonumber)[] |
    "    \(.key | if length == 1 then . + " " else . end): 0x\(.value | ascii_upcase)")' "$expected"
}

# 1. Every vector against its recorded PCRs, through the command line.
for v in rhel8-uefi.bin ubuntu-2104-no-secure-boot.bin glinux-alex.bin debian-10.bin \
  event-sd-boot-fedora37.bin event-uefi-sha1-log.bin; do
  pcrread_yaml "$v" >"$v.pcrs.yaml"
  run 0 "verify --log $v --pcrs (recorded PCRs)" verify --log "$vectors/$v" --pcrs "$v.pcrs.yaml"
  "$INTEGRAL" replay --yaml "$vectors/$v" >replay.yaml
  n=0
  while read -r bank pcr value; do
    got=$(awk -v b="  $bank:" -v p="$pcr" '$0 == b { inb = 1; next } /^  [a-z]/ { inb = 0 }
      { k = $1; sub(":", "", k) } inb && k ~ /^[0-9]+$/ && k + 0 == p { print tolower($NF) }' replay.yaml)
    [[ "$got" == "0x$value" ]] || { bad "replay --yaml $v $bank:$pcr = $got, want $value"; n=-1000; }
    n=$((n + 1))
  done < <(jq -r --arg v "$v" '.vectors[$v].expected | to_entries[] | .key as $b |
      .value | to_entries[] | "\($b) \(.key) \(.value)"' "$expected")
  [[ $n -gt 0 ]] && ok "replay --yaml $v: $n recorded PCR values"
done

# The go-attestation dumps carry their own quote-verified PCRs.
run 0 "windows dump against its own 24 PCRs" verify --log "$vectors/windows_gcp_shielded_vm.json"
grep -q "OK: 24 PCR values match" out.txt && ok "all 24 checked" || bad "not 24: $(cat out.txt)"
# linux_tpm12: PCRs 8-10 hold grub/IMA measurements the firmware log does not carry.
run 1 "linux_tpm12 dump: PCRs the log cannot explain are a mismatch" \
  verify --log "$vectors/linux_tpm12.json"
grep -q "the log never extends this PCR" out.txt && ok "says the log never extends it" ||
  bad "no explanation: $(cat out.txt)"
run 0 "linux_tpm12 dump, firmware PCRs" verify --log "$vectors/linux_tpm12.json" --select sha1:0-7

# 2. The EBS vector: a mismatch in PCR 5, fixed only by its named quirk, which is reported.
pcrread_yaml ebs_event_missing_eventlog >ebs.yaml
run 1 "ebs vector without the quirk" verify --log "$vectors/ebs_event_missing_eventlog" --pcrs ebs.yaml
grep -q "PCR 5 sha1: MISMATCH" out.txt && ok "names PCR 5" || bad "PCR 5 not named: $(cat out.txt)"
run 0 "ebs vector with --quirk missing-ebs" verify --log "$vectors/ebs_event_missing_eventlog" \
  --pcrs ebs.yaml --quirk missing-ebs
grep -q "matches only with quirk missing-ebs" out.txt && ok "reports the quirk" ||
  bad "quirk not reported: $(cat out.txt)"
run 2 "unknown quirk is a usage error" verify --log "$vectors/ebs_event_missing_eventlog" \
  --pcrs ebs.yaml --quirk nonsense

# 2b. --check-digests: event data against the digests. Three real logs verify only with the quirk
# for what their software hashed (research: uefi.md, "Digest rules observed"), which is reported.
for q in "rhel8-uefi.bin grub-nul" "debian-10.bin shim-authority-size" \
  "windows_gcp_shielded_vm.json wbcl-separator"; do
  set -- $q
  run 1 "$1 --check-digests without a quirk" verify --log "$vectors/$1" --check-digests
  grep -q "digest is not" out.txt && ok "$1: names the event whose digest is not its data's" ||
    bad "$1: no event named: $(cat out.txt)"
  run 0 "$1 --check-digests --quirk $2" verify --log "$vectors/$1" --check-digests --quirk "$2"
  grep -q "match only with quirk $2 applied" out.txt && ok "$1: reports quirk $2" ||
    bad "$1: quirk not reported: $(cat out.txt)"
done
run 0 "fedora sd-boot log: every checkable digest matches, no quirk" \
  verify --log "$vectors/event-sd-boot-fedora37.bin" --check-digests
# One changed byte of an EV_EFI_ACTION string is caught (the replay alone cannot see it).
cp "$vectors/event-sd-boot-fedora37.bin" changed-action.bin
at=$(grep -abo "Calling EFI Application" changed-action.bin | head -1 | cut -d: -f1)
printf 'K' | dd of=changed-action.bin bs=1 seek="$at" conv=notrunc status=none
run 1 "a changed action string" verify --log changed-action.bin --check-digests
grep -q 'EV_EFI_ACTION "Kalling EFI Application' out.txt && ok "names the changed action" ||
  bad "changed action: $(cat out.txt)"

# 3. A changed PCR value is a mismatch naming that PCR.
sed 's/^    7 : 0x./    7 : 0x0/' event-sd-boot-fedora37.bin.pcrs.yaml >changed.yaml
cmp -s changed.yaml event-sd-boot-fedora37.bin.pcrs.yaml && sed -i 's/^    7 : 0x./    7 : 0x1/' changed.yaml
run 1 "changed PCR 7" verify --log "$vectors/event-sd-boot-fedora37.bin" --pcrs changed.yaml
grep -q "PCR 7 sha256: MISMATCH" out.txt && ok "names PCR 7" || bad "PCR 7 not named: $(cat out.txt)"

# 4. --expect: a prediction of PCR 12 (two kernel command lines) and PCR 9 (the initrd tag),
# its digests taken from tpm2_eventlog's reading of the log.
tpm2_eventlog "$vectors/event-sd-boot-fedora37.bin" >peer.yaml
digests_of() { # PCR TYPE -> sha256 digests of those events, in log order
  awk -v p="$1" -v t="$2" '/PCRIndex:/ { pcr = $NF } /EventType:/ { type = $NF }
    /Digest: "/ && pcr == p && type == t { d = $NF; gsub("\"", "", d); print d }' peer.yaml
}
mapfile -t cmdline < <(digests_of 12 EV_IPL)
mapfile -t initrd < <(digests_of 9 EV_EVENT_TAG)
[[ ${#cmdline[@]} -eq 2 && ${#initrd[@]} -eq 1 ]] && ok "peer shows 2 cmdline + 1 initrd events" ||
  bad "peer events: ${#cmdline[@]} ${#initrd[@]}"
stage() { printf '[[stage]]\ntype = "digest"\npcr = %s\nevent_type = "%s"\nsha256 = "%s"\nartifact = "%s"\n\n' "$@"; }
prediction() { # SECOND-CMDLINE-DIGEST
  echo 'banks = ["sha256"]'
  stage 12 EV_IPL "${cmdline[0]}" loader/entries/fedora.conf
  stage 12 EV_IPL "$1" uki.efi:.cmdline
  stage 9 EV_EVENT_TAG "${initrd[0]}" initrd.img
}
prediction "${cmdline[1]}" >good.toml
run 0 "--expect matching prediction" verify --log "$vectors/event-sd-boot-fedora37.bin" --expect good.toml
prediction "$(printf 'other' | sha256sum | cut -d' ' -f1)" >bad.toml
run 1 "--expect with a different second cmdline" verify --log "$vectors/event-sd-boot-fedora37.bin" --expect bad.toml
grep -q "PCR 12 sha256: first difference at event 2 of this PCR" out.txt && ok "names PCR 12, event 2" ||
  bad "no PCR 12 divergence: $(cat out.txt)"
grep -q "#24 EV_IPL" out.txt && ok "names log event #24 (tpm2_eventlog's EventNum 24)" ||
  bad "log event not named: $(cat out.txt)"
grep -q "${cmdline[1]}" out.txt && grep -q "$(printf 'other' | sha256sum | cut -d' ' -f1)" out.txt &&
  ok "shows both digests" || bad "digests missing: $(cat out.txt)"
grep -q "from uki.efi:.cmdline \[digest\]" out.txt && ok "names the predicted artifact and rule" ||
  bad "provenance missing: $(cat out.txt)"
run 1 "--expect --json" verify --log "$vectors/event-sd-boot-fedora37.bin" --expect bad.toml --json
[[ $(jq -r '.prediction.divergences[0].log.index' out.txt) == 24 &&
  $(jq -r '.prediction.divergences[0].predicted.artifact' out.txt) == uki.efi:.cmdline ]] &&
  ok "--json names the event and artifact" || bad "json: $(cat out.txt)"
# Both checks at once, and the old --expect + --pcrs form still needs both.
run 1 "--expect and --pcrs together" verify --log "$vectors/event-sd-boot-fedora37.bin" \
  --expect bad.toml --pcrs event-sd-boot-fedora37.bin.pcrs.yaml
run 2 "verify without --log needs --pcrs" verify --expect good.toml

finish
