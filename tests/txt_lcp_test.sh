#!/usr/bin/env bash
# LCP policies against the Debian tboot package's lcp2_crtpolelt / lcp2_crtpollist /
# lcp2_crtpol: integral txt lcp reads back every element, list and policy field that was put in,
# and the hashes equal openssl over byte ranges taken from the LCP layouts (lcp2.h / lcp3.h):
# PolicyHash = H(H(list_1) || ... || H(list_n)) over the unsigned list files as written, and the
# LCP_POLICY structure hash over its first 34+20 (v2) or 38+|H| (v3) bytes.
. "$(dirname "$0")/lib/common.sh"

PATH=$PATH:/usr/sbin:/sbin
for t in lcp2_crtpolelt lcp2_crtpollist lcp2_crtpol jq; do
  if ! command -v $t >/dev/null; then
    bad "$t missing (scripts/deps/txt.list)"
    finish
    exit 1
  fi
done
cd "$WORK"
hexbytes() { sed 's/../& /g'; }  # lcp2_crtpolelt reads hashes as spaced hex bytes
h256a=$(printf 'mle' | openssl dgst -sha256 -r | cut -d' ' -f1)
h256b=$(printf 'bios' | openssl dgst -sha256 -r | cut -d' ' -f1)
h256c=$(printf 'stm' | openssl dgst -sha256 -r | cut -d' ' -f1)
h1=$(printf 'legacy mle' | openssl dgst -sha1 -r | cut -d' ' -f1)
echo "$h256a" | hexbytes >a.txt
echo "$h256b" | hexbytes >b.txt
echo "$h256c" | hexbytes >c.txt
echo "$h1" | hexbytes >one.txt
printf 'vendor data 123' >cust.bin
printf 'locality:0x1f\n0:%s\n' "$h1" >pcr.txt
q() { lcp2_crtpolelt --create "$@" >/dev/null; }
q --type mle2 --alg sha256 --minver 3 --ctrl 0x1 --out mle2.elt a.txt
q --type stm --alg sha256 --out stm.elt c.txt
q --type sbios --alg sha256 --out sbios.elt b.txt a.txt
q --type custom --uuid tboot --out cust.elt cust.bin
q --type pconf2 --alg sha256 --pcr0 "$h256a" --out pconf2.elt
q --type mle --minver 2 --out mle.elt one.txt
q --type pconf --out pconf.elt pcr.txt
lcp2_crtpollist --create --listver 0x200 --out l200.lst mle2.elt stm.elt sbios.elt >/dev/null
lcp2_crtpollist --create --listver 0x200 --out m200.lst cust.elt pconf2.elt >/dev/null
lcp2_crtpollist --create --listver 0x300 --out l300.lst mle2.elt cust.elt pconf2.elt >/dev/null
lcp2_crtpollist --create --listver 0x100 --out l100.lst mle.elt pconf.elt cust.elt >/dev/null
lcp2_crtpol --create --type list --polver 3.2 --alg sha384 --sign rsa-3072-sha384 --mask sha256 \
  --mask sha384 --ctrl 0x6 --minver 5 --pol p32.pol --data p32.data l200.lst m200.lst >/dev/null
# (lcp2_crtpol does not mix list versions in one policy)
lcp2_crtpol --create --type list --polver 3.2 --alg sha256 --sign rsa-2048-sha256 --mask sha256 \
  --pol p3b.pol --data p3b.data l300.lst >/dev/null
lcp2_crtpol --create --type list --polver 2.4 --ctrl 0x2 --pol p24.pol --data p24.data l100.lst \
  >/dev/null

"$INTEGRAL" txt lcp p32.pol --data p32.data --json >p32.json && ok "v3.2 policy + data decode" ||
  bad "v3.2 decode"
j() { jq -r "$1" "${2:-p32.json}"; }
[[ $(j .policy.version) == 0x0302 && $(j .policy.hash_alg) == sha384 &&
  $(j .policy.policy_control) == 0x6 && $(j .policy.sinit_min_version) == 5 &&
  $(j .policy.lcp_hash_alg_mask) == 0x48 && $(j .policy.policy_type) == list ]] &&
  ok "v3.2 fields read back" || bad "v3.2 fields $(j .policy)"
# PolicyHash from the list files, hashed with openssl.
want=$(cat <(openssl dgst -sha384 -binary l200.lst) <(openssl dgst -sha384 -binary m200.lst) |
  openssl dgst -sha384 -r | cut -d' ' -f1)
[[ $(j .policy.policy_hash) == "$want" && $(j .data.lists_hash.sha384) == "$want" &&
  $(j .policy_hash_matches_data) == true ]] && ok "PolicyHash = H(H(l200)||H(m200)) = ${want:0:16}" ||
  bad "PolicyHash $(j .policy.policy_hash) want $want"
# The LCP_POLICY structure: 38 bytes then a SHA-384 PolicyHash (86 bytes).
want=$(head -c 86 p32.pol | openssl dgst -sha1 -r | cut -d' ' -f1)
[[ $(j .policy.structure_hash.sha1) == "$want" ]] && ok "v3.2 structure hash = sha1(86 bytes)" ||
  bad "structure hash $(j .policy.structure_hash.sha1) want $want"
# Elements read back.
[[ $(j '.data.lists[0].elements[] | select(.name=="MLE2") | .hashes[0]') == "$h256a" &&
  $(j '.data.lists[0].elements[] | select(.name=="MLE2") | .sinit_min_version') == 3 ]] && ok "MLE2 hash and minver" || bad "MLE2"
[[ $(j '.data.lists[0].elements[] | select(.name=="STM2") | .hashes[0]') == "$h256c" ]] &&
  ok "STM2 hash" || bad "STM2 $(j '.data.lists[0].elements[1]')"
[[ $(j '.data.lists[0].elements[] | select(.name=="SBIOS2") | .fallback_hash') == "$h256b" &&
  $(j '.data.lists[0].elements[] | select(.name=="SBIOS2") | .hashes | join(",")') == "$h256a" ]] &&
  ok "SBIOS2 fallback and hashes" || bad "SBIOS2 $(j '.data.lists[0].elements[2]')"
"$INTEGRAL" txt lcp p3b.pol --data p3b.data --json >p3b.json && ok "list 0x300 policy" || bad "0x300"
want=$(openssl dgst -sha256 -binary l300.lst | openssl dgst -sha256 -r | cut -d' ' -f1)
[[ $(j .policy.policy_hash p3b.json) == "$want" && $(j .policy_hash_matches_data p3b.json) == true ]] &&
  ok "list 0x300: PolicyHash = H(H(l300))" || bad "0x300 PolicyHash"
[[ $(j '.data.lists[0].version' p3b.json) == 0x0300 && $(j '.data.lists[0].elements[] | select(.name=="CUSTOM2") | .data' p3b.json) == "$(xxd -p cust.bin | tr -d '\n')" ]] &&
  ok "list 0x300, CUSTOM2 data" || bad "CUSTOM2 $(j '.data.lists[0].elements[1]' p3b.json)"
# tboot's UUID {0xc3930641, 0xe3cb, 0x4f40, 0x91d7, {27 f8 b9 e2 5c 86}} in its packed LE layout.
[[ $(j '.data.lists[0].elements[] | select(.name=="CUSTOM2") | .uuid' p3b.json) == 410693c3cbe3404fd79127f8b9e25c86 ]] && ok "tboot custom uuid" ||
  bad "uuid $(j '.data.lists[0].elements[] | select(.name=="CUSTOM2") | .uuid' p3b.json)"
[[ $(j '.data.lists[0].elements[] | select(.name=="PCONF2") | .pcr_infos[0].pcr_select' p3b.json) == 010000 ]] &&
  ok "PCONF2 selects PCR 0" || bad "PCONF2 $(j '.data.lists[0].elements[2]' p3b.json)"
# Its digest: the hash of the selected PCR values (here PCR 0 alone), as TPM2_Quote's pcrDigest.
want=$(echo "$h256a" | xxd -r -p | openssl dgst -sha256 -r | cut -d' ' -f1)
[[ $(j '.data.lists[0].elements[] | select(.name=="PCONF2") | .pcr_infos[0].digest' p3b.json) == "$want" ]] &&
  ok "PCONF2 digest = sha256(PCR 0 value)" || bad "PCONF2 digest want $want"

# TPM 1.2 policy v2.4 with a 1.0 list.
"$INTEGRAL" txt lcp p24.pol --data p24.data --json >p24.json && ok "v2.4 decode" || bad "v2.4 decode"
want=$(openssl dgst -sha1 -binary l100.lst | openssl dgst -sha1 -r | cut -d' ' -f1)
[[ $(j .policy.policy_hash p24.json) == "$want" && $(j .policy.policy_control p24.json) == 0x2 &&
  $(j .policy.hash_alg p24.json) == sha1 ]] && ok "v2.4 PolicyHash = H(H(l100))" ||
  bad "v2.4 $(j .policy p24.json) want $want"
want=$(head -c 54 p24.pol | openssl dgst -sha1 -r | cut -d' ' -f1)
[[ $(j .policy.structure_hash.sha1 p24.json) == "$want" ]] && ok "v2.4 LcpPolicyHash = sha1(54 bytes)" ||
  bad "v2.4 structure hash"
[[ $(j '.data.lists[0].elements[] | select(.name=="MLE") | .hashes[0]' p24.json) == "$h1" &&
  $(j '.data.lists[0].elements[] | select(.name=="PCONF") | .pcr_infos[0].locality' p24.json) == 31 &&
  $(j '.data.lists[0].elements[] | select(.name=="PCONF") | .pcr_infos[0].digest' p24.json) != "" ]] &&
  ok "legacy MLE and PCONF" || bad "legacy elements $(j '.data.lists[0]' p24.json)"

# Signed lists (LCP_POLICY_LIST2 RSASSA, LCP_POLICY_LIST2_1 RSA-PSS): the policy hash covers the
# public key only: LIST2: pubkey after RevocationCounter and PubkeySize, which follow the
# elements; LIST2_1: Modulus 10 bytes after KeySignatureOffset (Version, KeyAlg, Key.Version,
# KeySize, Exponent), KeySize/8 bytes long.
openssl genrsa -out priv.pem 2048 2>/dev/null
openssl rsa -in priv.pem -pubout -out pub.pem 2>/dev/null
cp l200.lst s200.lst
cp l300.lst s300.lst
lcp2_crtpollist --sign --sigalg rsa --pub pub.pem --priv priv.pem --rev 5 --out s200.lst >/dev/null
lcp2_crtpollist --sign --sigalg rsapss --hashalg sha256 --pub pub.pem --priv priv.pem --rev 6 \
  --out s300.lst >/dev/null
lcp2_crtpol --create --type list --polver 3.2 --alg sha256 --sign rsa-2048-sha256 --mask sha256 \
  --pol ps.pol --data ps.data s200.lst >/dev/null
lcp2_crtpol --create --type list --polver 3.2 --alg sha256 --sign rsa-2048-sha256 --mask sha256 \
  --pol pss.pol --data pss.data s300.lst >/dev/null
u16() { od -An -tu2 -j"$2" -N2 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }
range() { tail -c +$(($2 + 1)) "$1" | head -c "$3"; }
es=$(u32 s200.lst 4)
m200=$(range s200.lst $((8 + es + 4)) "$(u16 s200.lst $((8 + es + 2)))" | openssl dgst -sha256 -binary | xxd -p -c 64)
kso=$(u16 s300.lst 2)
m300=$(range s300.lst $((kso + 10)) $(($(u16 s300.lst $((kso + 4))) / 8)) | openssl dgst -sha256 -binary | xxd -p -c 64)
"$INTEGRAL" txt lcp ps.pol --data ps.data --json >ps.json && ok "signed LIST2 decodes" || bad "signed LIST2"
"$INTEGRAL" txt lcp pss.pol --data pss.data --json >pss.json && ok "signed LIST2_1 decodes" || bad "signed LIST2_1"
want=$(echo "$m200" | xxd -r -p | openssl dgst -sha256 -r | cut -d' ' -f1)
[[ $(j .policy.policy_hash ps.json) == "$want" && $(j .data.lists_hash.sha256 ps.json) == "$want" ]] &&
  ok "LIST2 RSASSA: PolicyHash = H(H(pubkey)) = ${want:0:16}" || bad "signed LIST2 PolicyHash $(j .data.lists_hash ps.json) want $want"
want=$(echo "$m300" | xxd -r -p | openssl dgst -sha256 -r | cut -d' ' -f1)
[[ $(j .policy.policy_hash pss.json) == "$want" && $(j .data.lists_hash.sha256 pss.json) == "$want" ]] &&
  ok "LIST2_1 RSA-PSS: PolicyHash = H(H(modulus)) = ${want:0:16}" || bad "signed LIST2_1 PolicyHash $(j .data.lists_hash pss.json) want $want"
[[ $(j '.data.lists[0].signed' ps.json) == true && $(j '.data.lists[0].revocation_counter' ps.json) == 5 &&
  $(j '.data.lists[0].revocation_counter' pss.json) == 6 &&
  $(j '.data.lists[0].size' ps.json) == $(stat -c %s s200.lst) &&
  $(j '.data.lists[0].size' pss.json) == $(stat -c %s s300.lst) ]] && ok "signed list sizes and counters" ||
  bad "signed lists $(j '.data.lists[0]' pss.json | head -c 300)"

# A policy with the wrong data: mismatch (exit 1); a cut data file: bad input naming it (3).
set +e
"$INTEGRAL" txt lcp p32.pol --data p24.data >/dev/null 2>&1
rc=$?
head -c 150 p32.data >cut.data
"$INTEGRAL" txt lcp cut.data >/dev/null 2>err.txt
rc2=$?
set -e
[[ $rc -eq 1 ]] && ok "policy/data mismatch exits 1" || bad "mismatch rc $rc"
[[ $rc2 -eq 3 ]] && grep -q "cut.data" err.txt && ok "truncated data: $(head -c 150 err.txt)" ||
  bad "cut rc $rc2"
finish
