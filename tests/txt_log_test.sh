#!/usr/bin/env bash
# integral txt log replays the real TPM 1.2 launch of vector C (txt-stat output, ThinkPad T460p)
# to PCR 18/19 composed here with openssl from values the same output prints elsewhere: the
# heap's mle_hash and tboot's "VL measurements"; and PCR 17 starts from the heap's sinit_hash.
. "$(dirname "$0")/lib/common.sh"

. "$(dirname "$0")/lib/txt.sh"

txt_vector C
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
expect_bad_input "no log" "cut.txt" "$INTEGRAL" txt log cut.txt

# Vector D (tboot 1.9.12 serial log, TPM 1.2, no event log): PCR 18/19 composed with openssl from
# the printed mle_hash and VL measurements; PCR 17 is rebuilt and flagged as unverified.
D=$(ls "$INTEGRAL_SOURCE_DIR"/tests/data/txt/D_*.txt | head -1)
C=$D
mle=$(hexline 'mle_hash:')
want18=$(ext "$(ext $zero "$mle")" "$(vl 18)")
want19=$(ext $zero "$(vl 19)")
"$INTEGRAL" txt log "$D" >d.txt && ok "vector D replays (exit 0)" || bad "vector D"
grep -q "^sha1:18  $want18$" d.txt && ok "D PCR 18 = $want18" || bad "D PCR 18 want $want18"
grep -q "^sha1:19  $want19$" d.txt && ok "D PCR 19 = $want19" || bad "D PCR 19 want $want19"
grep -q "PCR 17 is inferred, not verified" d.txt && ok "D PCR 17 flagged unverified" ||
  bad "D note missing"

# Vector E (Intel Whitley CBnT, JSON event list): parsed, replayed, and reported as the launch
# known not to match its TPM's PCR 17: exit 1, and the message says so.
E=$(ls "$INTEGRAL_SOURCE_DIR"/tests/data/txt/E_*.txt | head -1)
set +e
"$INTEGRAL" txt log "$E" >e.txt 2>e.err
rc=$?
"$INTEGRAL" txt log "$E" --json >e.json 2>/dev/null
set -e
[[ $rc -eq 1 ]] && ok "vector E: exit 1" || bad "vector E rc $rc"
grep -q "known mismatch of PCR 17" e.err && grep -q "PCR17 Replay Issue" e.err &&
  ok "E: $(head -c 120 e.err)" || bad "E message: $(cat e.err)"
grep -q "^sha256:17  bfbe2c1f" e.txt && ok "E replay printed (sha256 PCR 17 bfbe2c1f...)" ||
  bad "E replay"
[[ $(jq -r '.known_mismatch.pcrs[0]' e.json) == 17 ]] && ok "E JSON names PCR 17" || bad "E json"

# A binary TPM 1.2 container written here: HASH_START sets PCR 17, the rest extend.
le() { printf "%0$(($2 * 2))x" "$1" | fold -w2 | tac | tr -d '\n'; }
S=a1df9099e38f3704e38b1ef22218ed018fd5bf8a
X=1d16259892393a9834babda4214ef4eb86654036
M=48b765af300ab0dbf41c29a30db73a3afc370f1d
{
  printf '%s' "TXT Event Container" | xxd -p | tr -d '\n'
  printf '00%.0s' {1..13}
  printf '01000100'; le 4096 4; le 48 4; le $((48 + 3 * 32 + 4)) 4
  le 17 4; le 0x402 4; printf %s $S; le 0 4
  le 17 4; le 0x403 4; printf %s $X; le 4 4; printf 01020304
  le 18 4; le 0x404 4; printf %s $M; le 0 4
} | xxd -r -p >cont.bin
"$INTEGRAL" txt log cont.bin >cont.txt && ok "binary container" || bad "binary container"
grep -q "^sha1:17  $(ext $S $X)$" cont.txt && grep -q "^sha1:18  $(ext $zero $M)$" cont.txt &&
  ok "binary container replay" || bad "binary container replay $(cat cont.txt)"
finish
