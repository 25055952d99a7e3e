#!/usr/bin/env bash
# Predicting a TXT launch (predict stages sinit and tboot, integral txt profile) and reading
# txt-stat output with replay/verify:
# 1. the Debian tboot.gz and tb_polgen as peers: the MLE hash (lcp2_mlehash), module hashes and
#    policies (tb_polgen), composed into PCR values here with openssl;
# 2. real launches (tests/data/txt A: TPM 2.0 DA, tboot 1.10.2; C: TPM 1.2 legacy, tboot
#    1.10.3; D: TPM 1.2 legacy, tboot 1.9.12 serial log without an event log): a profile made from each dump plus the launch's own MLE and module measurements
#    (the binaries are not available; the digests are cut from the dump's text here) predicts
#    PCR 17/18/19 equal to the values research txt.md §4 replayed from those dumps; changing one
#    module changes exactly the PCR the rules say; replay and verify --log read the dumps.
. "$(dirname "$0")/lib/common.sh"

PATH=$PATH:/usr/sbin:/sbin
VEC="$INTEGRAL_SOURCE_DIR/tests/data/txt"
A=$(ls "$VEC"/A_*.txt 2>/dev/null | head -1)
C=$(ls "$VEC"/C_*.txt 2>/dev/null | head -1)
TBOOT=/boot/tboot.gz
if ! command -v tb_polgen >/dev/null || ! command -v lcp2_mlehash >/dev/null || [[ ! -f $TBOOT ]]; then
  bad "tboot package missing (scripts/deps/txt.list installs it)"
  finish
  exit 1
fi
if [[ -z $A || -z $C ]]; then
  bad "vectors A/C missing"
  finish
  exit 1
fi
cd "$WORK"

ext() { printf '%s%s' "$2" "$3" | xxd -r -p | openssl dgst -"$1" -r | cut -d' ' -f1; }
z1=0000000000000000000000000000000000000000
z256=0000000000000000000000000000000000000000000000000000000000000000
mlehash() { lcp2_mlehash --create --cmdline "$2" --alg "$1" "$TBOOT" | tr -d ' \n'; }
polgen_hash() { # ALG CMDLINE FILE
  rm -f h.pol
  tb_polgen --create --type nonfatal --alg "$1" h.pol >/dev/null
  tb_polgen --add --num 0 --pcr 18 --hash image --cmdline "$2" --image "$3" h.pol >/dev/null
  tb_polgen --show h.pol | sed -n 's/.*hashes\[0\]: //p' | tr -d ' '
}
pcrs() { "$INTEGRAL" predict "$1" --json | jq -r ".pcrs.$2[\"$3\"]"; }
check() { # NAME GOT WANT
  if [[ -n $3 && $2 == "$3" ]]; then ok "$1"; else bad "$1: got $2, want $3"; fi
}

prng_bytes kernel 300000 >vmlinuz
prng_bytes initrd 1000 >initrd
kcmd="root=/dev/sda1 ro quiet"
# tboot_stage VERSION MODULES [LINE...]: a tboot stage loading MODULES (the items of a TOML
# array), then each LINE
tboot_stage() {
  printf '[[stage]]\ntype = "tboot"\nversion = "%s"\nmodules = [%s]\n' "$1" "$2"
  if (($# > 2)); then printf '%s\n' "${@:3}"; fi
}
# own_tboot BANKS TPM CMDLINE [LINE...]: a tboot-only prediction: our MLE ($TBOOT) with the
# command line CMDLINE loading vmlinuz (command line $kcmd) and initrd, then each LINE
own_tboot() {
  echo "banks = [$1]"
  tboot_stage 1.10.5 '"vmlinuz", "initrd"' "tpm = \"$2\"" "cmdline = \"$3\"" "mle = \"$TBOOT\"" \
    "module_cmdlines = [\"$kcmd\", \"\"]" "${@:4}"
}
# sinit_tboot BANKS PROFILE MLE CMDLINE VERSION MODULES [LINE...]: a launch from a profile
# (SINIT) and tboot_stage VERSION MODULES [LINE...]
sinit_tboot() {
  cat <<EOF
banks = [$1]
[[stage]]
type = "sinit"
profile = "$2"
mle = "$3"
cmdline = "$4"
EOF
  tboot_stage "$5" "$6" "${@:7}"
}

# --- 1a. TPM 1.2 legacy, tboot alone, a tb_polgen policy routing module 0 to PCR 18 (a second
# time) and module 1 to PCR 20.
tcmd="logging=serial,memory"
rm -f p.pol
tb_polgen --create --type nonfatal --alg sha1 --ctrl 1 p.pol >/dev/null
tb_polgen --add --num 0 --pcr 18 --hash image --cmdline "$kcmd" --image vmlinuz p.pol >/dev/null
tb_polgen --add --num 1 --pcr 20 --hash any p.pol >/dev/null
own_tboot '"sha1"' 1.2 "$tcmd" 'mapping = "legacy"' 'policy = "p.pol"' >legacy.toml
mle1=$(mlehash sha1 "$tcmd")
m0=$(polgen_hash sha1 "$kcmd" vmlinuz)
m1=$(polgen_hash sha1 "" initrd)
pol=$(printf '01000000%s' "$(openssl dgst -sha1 -binary p.pol | xxd -p -c 64)" | xxd -r -p |
  openssl dgst -sha1 -r | cut -d' ' -f1)
check "legacy PCR 17 = policy event (tb_polgen file)" "$(pcrs legacy.toml sha1 17)" "$(ext sha1 $z1 "$pol")"
check "legacy PCR 18 = MLE (lcp2_mlehash), module 0 twice (tb_polgen)" "$(pcrs legacy.toml sha1 18)" \
  "$(ext sha1 "$(ext sha1 "$(ext sha1 $z1 "$mle1")" "$m0")" "$m0")"
check "legacy PCR 20 = module 1 by policy" "$(pcrs legacy.toml sha1 20)" "$(ext sha1 $z1 "$m1")"
check "legacy PCR 19 untouched" "$(pcrs legacy.toml sha1 19)" "null"

# --- 1b. TPM 2.0 DA, extpol=embedded: both banks, the version's default policy.
tcmd="logging=serial extpol=embedded"
own_tboot '"sha1", "sha256"' 2.0 "$tcmd" >da.toml
defda=02000b01000000000000000300ff00000000000081110000000000008316001000004000
inner=$(printf '%s' $defda | xxd -r -p | openssl dgst -sha256 -binary | xxd -p -c 64)
for b in sha1 sha256; do
  z=$z1
  [[ $b == sha256 ]] && z=$z256
  polb=$(printf '01000000%s' "$inner" | xxd -r -p | openssl dgst -"$b" -r | cut -d' ' -f1)
  want=$(ext $b "$(ext $b "$(ext $b "$(ext $b $z "$(mlehash $b "$tcmd")")" "$polb")" \
    "$(polgen_hash $b "$kcmd" vmlinuz)")" "$(polgen_hash $b "" initrd)")
  check "DA $b PCR 17 = MLE, policy, module 0, module 1" "$(pcrs da.toml $b 17)" "$want"
  check "DA $b PCR 18 = policy" "$(pcrs da.toml $b 18)" "$(ext $b $z "$polb")"
done

# --- 2. Vector A (TPM 2.0, DA, TCG log): profile, then prediction from digests.
"$INTEGRAL" txt profile "$A" -o a.toml || bad "txt profile A"
grep -q '^mapping = "da"' a.toml && grep -q '^tpm = "2.0"' a.toml &&
  grep -q '^tboot_version = "1.10.2"' a.toml && ok "profile A facts" || bad "profile A facts"
# The digest of ALG in the record of TYPE (txt-stat prints "SHA1:" then the bytes on a line).
tcg_digest() {
  awk -v t="$1" -v a="$2:" '/event_type:/ { hit = ($NF == t) }
    hit && $NF == a { getline; sub(/^TBOOT: */, ""); gsub(/[ \r]/, ""); print; exit }' "$3"
}
a_mle1=$(tcg_digest 0x404 SHA1 "$A")
a_mle256=$(tcg_digest 0x404 SHA256 "$A")
# tboot's "verifying module ... OK : <digest>" lines, in module order.
okline() { sed -n 's/.* OK : //p' "$2" | sed -n "$1p" | tr -d ' \r'; }
a_m0=$(okline 1 "$A")
a_m1=$(okline 2 "$A")
vector_a() { # M1
  sinit_tboot '"sha1", "sha256"' a.toml "digest:sha1=$a_mle1,sha256=$a_mle256" \
    "logging=serial,memory,vga" 1.10.2 "\"digest:sha256=$a_m0\", \"digest:sha256=$1\"" \
    'module_cmdlines = ["root=UUID=c49f6e29-a829-40a2-925c-d2e28abaaa0c ro quiet net.ifnames=0 intel_iommu=on noefi", ""]'
}
vector_a "$a_m1" >a-boot.toml
"$INTEGRAL" predict a-boot.toml --json >a.json || bad "predict A"
# Research txt.md §4 A: the replay of A's log.
check "A sha1 PCR 17" "$(jq -r '.pcrs.sha1["17"]' a.json)" a3da3aa9d80e8f1d6b6b34f67d1a89c6998d42fa
check "A sha1 PCR 18" "$(jq -r '.pcrs.sha1["18"]' a.json)" 4e1da12b44ae40745028103454de03a2901235e9
check "A sha256 PCR 17" "$(jq -r '.pcrs.sha256["17"]' a.json)" \
  17db83cfefb5204226a1cbd8ea62e675dabdcea737c2bc499dd51f0e3a0eee3a
check "A sha256 PCR 18" "$(jq -r '.pcrs.sha256["18"]' a.json)" \
  add552b58f6ed3595ebbea5f4f59d077e0ed4c8601de1898a5559fe95fa86fcc
check "A PCR 19 untouched (DA default policy)" "$(jq -r '.pcrs.sha256["19"]' a.json)" null
jq -e '.events[0].artifact | endswith("a.toml")' a.json >/dev/null &&
  jq -e '.events[0].rule | contains("from profile")' a.json >/dev/null &&
  ok "A SINIT events: provenance from the profile" || bad "A provenance"
# Another initrd (module 1) changes SHA-256 PCR 17 only (DA: modules to 17; extpol sha256).
vector_a "$z256" >a-changed.toml
"$INTEGRAL" predict a-changed.toml --json >a2.json
for k in sha1.17 sha1.18 sha256.18; do
  b=${k%.*} p=${k#*.}
  check "A changed module 1: $b PCR $p unchanged" "$(jq -r ".pcrs.$b[\"$p\"]" a2.json)" \
    "$(jq -r ".pcrs.$b[\"$p\"]" a.json)"
done
[[ $(jq -r '.pcrs.sha256["17"]' a2.json) != "$(jq -r '.pcrs.sha256["17"]' a.json)" ]] &&
  ok "A changed module 1: sha256 PCR 17 changes" || bad "A sha256 PCR 17 did not change"

# replay and verify --log read the dump (sniffed), from the launch's reset.
"$INTEGRAL" replay "$A" --json >ar.json || bad "replay A"
check "replay A sha256 PCR 17" "$(jq -r '.pcrs.sha256["17"]' ar.json)" \
  17db83cfefb5204226a1cbd8ea62e675dabdcea737c2bc499dd51f0e3a0eee3a
check "replay A sha1 PCR 18" "$(jq -r '.pcrs.sha1["18"]' ar.json)" 4e1da12b44ae40745028103454de03a2901235e9
"$INTEGRAL" verify --log "$A" --expect a-boot.toml >v.txt && ok "verify --log A: match" ||
  { bad "verify --log A"; cat v.txt; }
set +e
"$INTEGRAL" verify --log "$A" --expect a-changed.toml --json >v2.json
rc=$?
set -e
check "verify --log A against the changed prediction: exit 1" "$rc" 1
jq -e '.prediction.divergences | length == 1 and .[0].pcr == 17 and .[0].bank == "sha256"
  and .[0].position == 11 and (.[0].predicted.description | contains("module 1"))
  and (.[0].predicted.artifact | startswith("digest:sha256=0000"))' v2.json >/dev/null &&
  ok "verify names the first diverging event (module 1) with provenance" ||
  { bad "verify divergence"; cat v2.json; }

# --- 3. Vector C (TPM 1.2, legacy, TXT Event Container).
"$INTEGRAL" txt profile "$C" -o c.toml || bad "txt profile C"
grep -q '^mapping = "legacy"' c.toml && grep -q '^tpm = "1.2"' c.toml && ok "profile C facts" ||
  bad "profile C facts"
c_mle=$(sed -n '/mle_hash:/{n;p;q}' "$C" | tr -d ' \t\r')
c_m0=$(okline 1 "$C")
c_m1=$(okline 2 "$C")
# A TPM 1.2 legacy launch from a profile and the launch's own SHA-1 measurements.
legacy_boot() { # PROFILE MLE TBOOT-CMDLINE TBOOT-VERSION M0 M1
  sinit_tboot '"sha1"' "$1" "digest:sha1=$2" "$3" "$4" "\"digest:sha1=$5\", \"digest:sha1=$6\""
}
vector_c() { legacy_boot c.toml "$c_mle" "logging=serial,memory" 1.10.3 "$1" "$2"; }
vector_c "$c_m0" "$c_m1" >c-boot.toml
"$INTEGRAL" predict c-boot.toml --json >c.json || bad "predict C"
check "C PCR 17" "$(jq -r '.pcrs.sha1["17"]' c.json)" 564d58b956e12bd98c0917e0185387df53556cb5
check "C PCR 18" "$(jq -r '.pcrs.sha1["18"]' c.json)" 9b99b3b24834ffab56a950d1af833a437c90bc71
check "C PCR 19" "$(jq -r '.pcrs.sha1["19"]' c.json)" 7246dc40ea65de09e43f7663d0118ec12eb2abec
# Legacy: module 0 feeds PCR 18 only, module 1 PCR 19 only.
vector_c "$z1" "$c_m1" >c0.toml
"$INTEGRAL" predict c0.toml --json >c0.json
check "C changed module 0: PCR 17 unchanged" "$(jq -r '.pcrs.sha1["17"]' c0.json)" 564d58b956e12bd98c0917e0185387df53556cb5
check "C changed module 0: PCR 19 unchanged" "$(jq -r '.pcrs.sha1["19"]' c0.json)" 7246dc40ea65de09e43f7663d0118ec12eb2abec
check "C changed module 0: PCR 18 = MLE then the new module" "$(jq -r '.pcrs.sha1["18"]' c0.json)" \
  "$(ext sha1 "$(ext sha1 $z1 "$c_mle")" $z1)"
vector_c "$c_m0" "$z1" >c1.toml
"$INTEGRAL" predict c1.toml --json >c1.json
check "C changed module 1: PCR 18 unchanged" "$(jq -r '.pcrs.sha1["18"]' c1.json)" 9b99b3b24834ffab56a950d1af833a437c90bc71
check "C changed module 1: PCR 19" "$(jq -r '.pcrs.sha1["19"]' c1.json)" "$(ext sha1 $z1 $z1)"
"$INTEGRAL" replay "$C" --json >cr.json
check "replay C PCR 17 (HASH_START's recorded SinitHash reached by extend)" \
  "$(jq -r '.pcrs.sha1["17"]' cr.json)" 564d58b956e12bd98c0917e0185387df53556cb5
"$INTEGRAL" verify --log "$C" --expect c-boot.toml >/dev/null && ok "verify --log C: match" ||
  bad "verify --log C"

# --- 3b. Vector D (TPM 1.2 legacy, tboot 1.9.12 serial log, no event log, SinitMleData v6).
# The profile is rebuilt from the printed heap: SinitHash is PCR 17's value after HASH_START
# (the ACM hash itself is not printed), which the profile keeps as a value the PCR is set to.
D=$(ls "$VEC"/D_*.txt 2>/dev/null | head -1)
"$INTEGRAL" txt profile "$D" -o d.toml 2>d.err || bad "txt profile D"
grep -q '^log_format = "tpm12-heap"' d.toml && grep -q '^mapping = "legacy"' d.toml &&
  grep -q '^sets = true' d.toml && grep -q "PCR 17 is inferred, not verified" d.toml &&
  grep -q "PCR 17 is inferred" d.err && ok "profile D: heap-rebuilt, HASH_START sets PCR 17, flagged" ||
  bad "profile D facts"
dhex() { sed -n "/$1/{n;p;q}" "$D" | tr -d ' \t\r'; }
dvl() { sed -n "/PCR $1 (alg count 1)/{n;s/.*alg 0004: //p;q}" "$D" | tr -d ' \r'; }
d_mle=$(dhex 'mle_hash:')
legacy_boot d.toml "$d_mle" "logging=serial,memory,vga dump_memmap=true" 1.9.12 "$(dvl 18)" \
  "$(dvl 19)" >d-boot.toml
"$INTEGRAL" predict d-boot.toml --json >d.json || bad "predict D"
# Composed here from the printed values: PCR 18 = MLE then module 0; PCR 19 = module 1; PCR 17
# = SinitHash, then SHA1 of the 76-byte COMBINED data (BiosAcmId, MsegValid LE64, StmHash,
# PolicyControl LE32, LcpPolicyHash, caps 0), then tboot's policy measurement.
le() { printf '%0*x' "$2" "$1" | fold -w2 | tac | tr -d '\n'; }
combined=$(dhex 'bios_acm_id:')$(le "$(sed -n 's/.*mseg_valid: //p' "$D" | head -1 | tr -d '\r')" 16)
combined+=$(dhex 'stm_hash:')
combined+=$(le "$(sed -n 's/.*lcp_policy_control: //p' "$D" | head -1 | tr -d '\r')" 8)
combined+=$(dhex 'lcp_policy_hash:')00000000
[[ ${#combined} == 152 ]] && ok "D COMBINED data is 76 bytes" || bad "D COMBINED ${#combined}"
want17=$(ext sha1 "$(ext sha1 "$(dhex 'sinit_hash:')" "$(printf '%s' "$combined" | xxd -r -p |
  openssl dgst -sha1 -r | cut -d' ' -f1)")" "$(dvl 17)")
check "D PCR 17 (SinitHash set, COMBINED, policy)" "$(jq -r '.pcrs.sha1["17"]' d.json)" "$want17"
check "D PCR 18" "$(jq -r '.pcrs.sha1["18"]' d.json)" "$(ext sha1 "$(ext sha1 $z1 "$d_mle")" "$(dvl 18)")"
check "D PCR 19" "$(jq -r '.pcrs.sha1["19"]' d.json)" "$(ext sha1 $z1 "$(dvl 19)")"
# Research txt.md §4 D: the replay of the same launch.
check "D PCR 17 = research replay" "$(jq -r '.pcrs.sha1["17"]' d.json)" 5b6470b0f6333f3fb75a2a08c486bcc929a46234
jq -e '.events[0].sets == true and (.events[0].description | contains("sets PCR 17"))' d.json \
  >/dev/null && ok "D: HASH_START predicted as a set value, said so" || bad "D HASH_START event"
"$INTEGRAL" verify --log "$D" --expect d-boot.toml >/dev/null && ok "verify --log D (serial log): match" ||
  bad "verify --log D"
"$INTEGRAL" replay "$D" --json >dr.json
check "replay D PCR 17" "$(jq -r '.pcrs.sha1["17"]' dr.json)" "$want17"

# --- 4. examples/txt-launch: Debian's tboot.gz on A's platform. With DA, PCR 18 holds SINIT's
# authority events and the policy only, so it equals A's whatever tboot, kernel and initrd are.
if INTEGRAL="$INTEGRAL" "$INTEGRAL_SOURCE_DIR/examples/txt-launch/run.sh" ex "$A" >ex.log 2>&1; then
  check "example sha256 PCR 18 = A's" "$(jq -r '.pcrs.sha256["18"]' ex/prediction.json)" \
    add552b58f6ed3595ebbea5f4f59d077e0ed4c8601de1898a5559fe95fa86fcc
  # SHA-1 PCR 17 composed here: A's SINIT records for PCR 17 in order (cut from the dump's
  # text), MLE_HASH replaced by lcp2_mlehash of Debian's tboot.gz with the example's command line.
  want=$z1
  while read -r type digest; do
    [[ $type == 0x404 ]] && digest=$(mlehash sha1 "logging=serial,memory")
    want=$(ext sha1 "$want" "$digest")
  done < <(awk '/pcr_index:/ { pcr = $NF } /event_type:/ { t = $NF }
    pcr == 17 && $NF == "SHA1:" { getline; sub(/^TBOOT: */, ""); gsub(/[ \r]/, ""); print t, $0 }' "$A")
  check "example sha1 PCR 17 = A's SINIT events with Debian's MLE" \
    "$(jq -r '.pcrs.sha1["17"]' ex/prediction.json)" "$want"
else
  bad "examples/txt-launch/run.sh"
  cat ex.log
fi

# --- 5. Errors: a profile with a bank it lacks; a mangled profile.
# predict_rc TOML: the exit code of `integral predict TOML`; its errors go to err.txt
predict_rc() {
  local rc=0
  "$INTEGRAL" predict "$1" >/dev/null 2>err.txt || rc=$?
  echo "$rc"
}
sed 's/banks = \["sha1"\]/banks = ["sha1", "sha256"]/' c-boot.toml >c-bad.toml
check "a bank the profile lacks: exit 3" "$(predict_rc c-bad.toml)" 3
grep -q "no sha256 bank" err.txt && ok "error names the bank" || bad "error: $(cat err.txt)"
sed 's/^sha1 = "\(..\)/sha1 = "zz/' c.toml >c-mangled.toml
sed 's/c.toml/c-mangled.toml/' c-boot.toml >c-m.toml
check "mangled profile: exit 3" "$(predict_rc c-m.toml)" 3
grep -q "c-mangled.toml" err.txt && grep -q "line" err.txt && ok "error names profile and line" ||
  bad "error: $(cat err.txt)"

finish
