#!/usr/bin/env bash
# A real boot's firmware log (tests/data/ovmf-swtpm-boot: OVMF + swtpm under QEMU, booting a
# Debian kernel as a UKI) against the PCRs the guest read from its TPM, in all four banks:
#   - the replay equals the guest's PCRs for every PCR the log accounts for (all but 10, IMA,
#     and 16, extended by the initramfs without a log entry), and every digest the log's data
#     determines matches it (--check-digests, no quirk needed for OVMF);
#   - PCR 10: the kernel's IMA extended only its boot_aggregate entry (no policy loaded). The
#     entry is rebuilt here by hand (printf, sha256sum, sha1sum) from the guest's PCRs 0-9, and
#     integral's replay of it must equal the guest's PCR 10 in every bank, and its
#     boot_aggregate the one integral computes from the firmware log. Debian's kernel builds
#     SHA-384/512 as a module (CONFIG_CRYPTO_SHA512=m), absent when IMA starts: those two banks
#     got the zero-padded SHA-1 template hash, and match only under that rule (--ima-padded);
#   - evmctl ima_boot_aggregate, fed the guest's PCRs, agrees with integral eventlog
#     boot-aggregate on the firmware log.
# tpm2_eventlog's event-by-event agreement on this log is checked in eventlog_peer_test.sh.
. "$(dirname "$0")/lib/common.sh"

data="${INTEGRAL_SOURCE_DIR:?}/tests/data/ovmf-swtpm-boot"
log="$data/eventlog.bin"
pcrs="$data/pcrs.yaml"
cd "$WORK"
banks=(sha1 sha256 sha384 sha512)

# value BANK PCR: the guest's PCR, lower-case hex without 0x
value() {
  awk -v b="  $1:" -v p="$2" '$0 == b { inb = 1; next } /^  [a-z]/ { inb = 0 }
    { k = $1; sub(":", "", k) } inb && k ~ /^[0-9]+$/ && k + 0 == p { v = $NF; sub("0x", "", v); print tolower(v) }' "$3"
}

# 1. The replay against the guest's PCRs, every bank, every PCR but 10 and 16.
"$INTEGRAL" replay --yaml "$log" >replay.yaml
n=0
for b in "${banks[@]}"; do
  for p in 0 1 2 3 4 5 6 7 8 9 11 12 13 14 15 17 18 19 20 21 22 23; do
    want=$(value "$b" "$p" "$pcrs")
    got=$(value "$b" "$p" replay.yaml)
    if [[ -n $want && $got == "$want" ]]; then
      n=$((n + 1))
    else
      bad "replay $b:$p = $got, guest read $want"
    fi
  done
done
[[ $n -eq 88 ]] && ok "replay equals the guest's PCRs: 22 PCRs x 4 banks"
sel=$(printf '+%s:0,1,2,3,4,5,6,7,8,9,11,12,13,14,15,23' "${banks[@]}")
if "$INTEGRAL" verify --log "$log" --pcrs "$pcrs" --select "${sel#+}" --check-digests >out.txt; then
  ok "verify --log --check-digests: $(grep -c match out.txt || true) lines, $(grep 'digests recomputed' out.txt)"
else
  bad "verify --log: $(cat out.txt)"
fi
grep -q "quirk" out.txt && bad "a quirk was needed: $(cat out.txt)" || ok "no quirk needed for OVMF"

# 2. PCR 10: the kernel's boot_aggregate entry, built by hand. Debian 12's kernel uses the
# ima-sig template and sha256 (CONFIG_IMA_DEFAULT_TEMPLATE, CONFIG_IMA_DEFAULT_HASH).
pcrhex=""
for p in 0 1 2 3 4 5 6 7 8 9; do pcrhex+=$(value sha256 "$p" "$pcrs"); done
agg=$(printf '%s' "$pcrhex" | xxd -r -p | sha256sum | cut -d' ' -f1)
le32() { printf '%08x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/'; }
# d-ng: "sha256:" NUL digest (40 bytes); n-ng: "boot_aggregate" NUL (15); sig: empty
tdata="$(le32 40)$(printf 'sha256:' | xxd -p)00$agg$(le32 15)$(printf 'boot_aggregate' | xxd -p)00$(le32 0)"
th=$(printf '%s' "$tdata" | xxd -r -p | sha1sum | cut -d' ' -f1)
printf '10 %s ima-sig sha256:%s boot_aggregate \n' "$th" "$agg" >ima.ascii
sel10=$(printf '+%s:10' "${banks[@]}")
set +e
"$INTEGRAL" verify --log ima.ascii --pcrs "$pcrs" --select "${sel10#+}" >out.txt
rc=$?
set -e
if [[ $rc -eq 1 && $(grep -c "PCR 10 .*: match" out.txt) -eq 2 ]] &&
  grep -q "PCR 10 sha384: MISMATCH" out.txt && grep -q "PCR 10 sha512: MISMATCH" out.txt; then
  ok "without the padded rule, sha1 and sha256 match and sha384/sha512 do not"
else
  bad "native rule: rc=$rc $(cat out.txt)"
fi
if "$INTEGRAL" verify --log ima.ascii --pcrs "$pcrs" --select "${sel10#+}" --boot-log "$log" \
  --ima-padded sha384,sha512 >out.txt; then
  ok "IMA boot_aggregate entry replays to the guest's PCR 10 in all four banks, boot_aggregate matches the firmware log"
else
  bad "IMA PCR 10: $(cat out.txt)"
fi
[[ $(grep -c "PCR 10 .*: match" out.txt) -eq 4 ]] && ok "4 banks checked" || bad "not 4 banks: $(cat out.txt)"
grep -q "boot_aggregate sha256 from .*: match (PCRs 0-9)" out.txt && ok "boot_aggregate: PCRs 0-9" ||
  bad "boot_aggregate: $(cat out.txt)"
# A boot_aggregate over other PCRs is caught.
sed "s/$agg/$(printf 'x' | sha256sum | cut -d' ' -f1)/" ima.ascii >wrong.ascii
set +e
"$INTEGRAL" verify --log wrong.ascii --boot-log "$log" >out.txt 2>&1
rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "MISMATCH" out.txt && ok "a wrong boot_aggregate is a mismatch" ||
  bad "wrong boot_aggregate: rc=$rc $(cat out.txt)"
# An older kernel's sha256 boot_aggregate over PCRs 0-7 only: it matches as that variant, and
# the computed value shown is that one (sha256sum of the guest's PCRs 0-7), not the 0-9 one.
agg07=$(printf '%s' "${pcrhex:0:$((8 * 64))}" | xxd -r -p | sha256sum | cut -d' ' -f1)
tdata07="$(le32 40)$(printf 'sha256:' | xxd -p)00$agg07$(le32 15)$(printf 'boot_aggregate' | xxd -p)00$(le32 0)"
th07=$(printf '%s' "$tdata07" | xxd -r -p | sha1sum | cut -d' ' -f1)
printf '10 %s ima-sig sha256:%s boot_aggregate \n' "$th07" "$agg07" >ima07.ascii
"$INTEGRAL" verify --log ima07.ascii --boot-log "$log" >out.txt 2>&1 || true
if grep -q "boot_aggregate sha256 from .*: match (PCRs 0-7)" out.txt &&
  grep -q "computed  $agg07" out.txt; then
  ok "boot_aggregate over PCRs 0-7: matched, and the value shown is the 0-7 one"
else
  bad "boot_aggregate 0-7: $(cat out.txt)"
fi

# --expect: a prediction of PCR 10 (the entry's sha256 template hash, computed here) matches;
# a different one names entry 1 with both digests and the predicted artifact.
t256=$(printf '%s' "$tdata" | xxd -r -p | sha256sum | cut -d' ' -f1)
printf 'banks = ["sha256"]\n\n[[stage]]\ntype = "digest"\npcr = 10\nsha256 = "%s"\nartifact = "boot_aggregate"\n' \
  "$t256" >good.toml
other=$(printf 'x' | sha256sum | cut -d' ' -f1)
sed "s/$t256/$other/" good.toml >bad.toml
"$INTEGRAL" verify --log ima.ascii --expect good.toml >out.txt && ok "--expect: PCR 10 as predicted" ||
  bad "--expect good: $(cat out.txt)"
set +e
"$INTEGRAL" verify --log ima.ascii --expect bad.toml >out.txt
rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "PCR 10 sha256: first difference at entry 1" out.txt && grep -q "$t256" out.txt &&
  grep -q "$other" out.txt && grep -q "from boot_aggregate \[digest\]" out.txt &&
  ok "--expect: a different prediction names entry 1, both digests and the artifact" ||
  bad "--expect bad: rc=$rc $(cat out.txt)"

# 3. evmctl ima_boot_aggregate on the guest's PCRs (TPM 1.2 sysfs layout files) agrees.
args=()
for b in sha1 sha256; do
  for p in $(seq 0 23); do printf 'PCR-%02d: %s\n' "$p" "$(value "$b" "$p" "$pcrs")"; done >"$b.pcrs"
  args+=(--pcrs "$b,$b.pcrs")
done
evmctl ima_boot_aggregate "${args[@]}" | sort >peer.txt
"$INTEGRAL" eventlog boot-aggregate "$log" | grep -E '^sha(1|256):' | sort >ours.txt
if [[ -s peer.txt ]] && cmp -s peer.txt ours.txt; then
  ok "evmctl ima_boot_aggregate agrees: $(tr '\n' ' ' <ours.txt)"
else
  bad "boot_aggregate differs: evmctl $(cat peer.txt) integral $(cat ours.txt)"
fi
grep -q "^sha256:$agg$" ours.txt && ok "and equals the hand-computed one" || bad "hand: $agg"

finish
