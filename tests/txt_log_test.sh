#!/usr/bin/env bash
# integral txt log replays the real TPM 1.2 launch of vector C (txt-stat output, ThinkPad T460p)
# to PCR 18/19 composed here with openssl from values the same output prints elsewhere: the
# heap's mle_hash and tboot's "VL measurements"; and PCR 17 starts from the heap's sinit_hash.
. "$(dirname "$0")/lib/common.sh"

C=$(ls "$INTEGRAL_SOURCE_DIR"/../shared/vectors/txt/C_*.txt 2>/dev/null | head -1)
if [[ -z $C ]]; then
  bad "vector C missing"
  finish
  exit 1
fi
cd "$WORK"
ext() { printf '%s%s' "$1" "$2" | xxd -r -p | openssl dgst -sha1 -r | cut -d' ' -f1; }
hexline() { sed -n "/$1/{n;p;q}" "$C" | tr -d ' \t\r'; }
mle=$(hexline 'mle_hash:')
sinit=$(hexline 'sinit_hash:')
vl() { sed -n "/PCR $1 (alg count 1)/{n;s/.*alg 0004: //p;q}" "$C" | tr -d ' \r'; }
zero=0000000000000000000000000000000000000000
want18=$(ext "$(ext $zero "$mle")" "$(vl 18)")
want19=$(ext $zero "$(vl 19)")
"$INTEGRAL" txt log "$C" >out.txt
grep -q "^sha1:18  $want18$" out.txt && ok "PCR 18 = $want18" || bad "PCR 18 want $want18"
grep -q "^sha1:19  $want19$" out.txt && ok "PCR 19 = $want19" || bad "PCR 19 want $want19"
grep -q "HASH_START.*sha1:$sinit" out.txt && ok "HASH_START = sinit_hash" || bad "sinit_hash $sinit"
"$INTEGRAL" txt log "$C" --json >out.json
grep -q '"name": "COMBINED_HASH"' out.json && ok "json names" || bad "json names"
head -c 20000 "$C" >cut.txt
set +e
"$INTEGRAL" txt log cut.txt >/dev/null 2>err.txt
rc=$?
set -e
[[ $rc -eq 3 ]] && grep -q "cut.txt" err.txt && ok "no log: $(cat err.txt)" || bad "cut rc $rc"
finish
