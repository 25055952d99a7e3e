#!/usr/bin/env bash
# integral txt acm decodes what txt-acminfo (Debian package tboot) decodes from the same file,
# and integral txt sinit-hash equals the HASH_START measurement composed by hand (dd + openssl)
# from the byte ranges the research note gives. The ACM is synthetic (no SINIT binary may be
# committed), laid out as tboot's acm_hdr_t.
. "$(dirname "$0")/lib/common.sh"

PATH=$PATH:/usr/sbin:/sbin
cd "$WORK"
# w OFFSET HEX: write bytes at OFFSET of acm.bin
w() { printf '%s' "$2" | xxd -r -p | dd of=acm.bin bs=1 seek=$(($1)) conv=notrunc status=none; }
head -c 8192 /dev/zero >acm.bin
w 0 0200 && w 4 a1000000 && w 12 0bb0 && w 14 0080 && w 16 86800000 && w 20 01012020
w 24 00080000 && w 28 01000200 && w 120 40000000 && w 124 8f000000
prng_bytes key 256 | dd of=acm.bin bs=1 seek=128 conv=notrunc status=none
prng_bytes sig 256 | dd of=acm.bin bs=1 seek=388 conv=notrunc status=none
w 384 01000100
# info table at 4*(0xa1 + 0x8f) = 0x4c0
w 0x4c0 aa3ac07fa746db182eac698f8d417f5a && w 0x4d0 01053000 && w 0x4d4 00080000
w 0x4d8 07000000 && w 0x4dc 01000200 && w 0x4e0 6e030000 && w 0x4e4 09010203
w 0x4e8 00090000 && w 0x4ec 000a0000
w 0x800 01000000 && w 0x804 01000000 && w 0x808 868005b0 && w 0x80c 01000000
w 0x900 01000000 && w 0x904 c0060300 && w 0x908 f03fff0f
w 0xa00 51000000 && w 0xa04 020004000b00
prng_bytes code 4000 | dd of=acm.bin bs=1 seek=$((0x1000)) conv=notrunc status=none

"$INTEGRAL" txt acm acm.bin --json >acm.json
if command -v txt-acminfo >/dev/null; then
  txt-acminfo acm.bin >info.txt 2>/dev/null || true  # it ends trying /dev/mem
  field() { sed -n "s/^[[:space:]]*$1: *\([^ ]*\).*/\1/p" info.txt | head -1; }
  jfield() { sed -n "s/.*\"$1\": \"\?\([^\",]*\)\"\?,\?$/\1/p" acm.json | head -1; }
  check() {  # label txt-acminfo-value integral-value
    if [[ -n $2 && $(($2)) -eq $(($3)) ]]; then ok "$1 $2"; else bad "$1: txt-acminfo '$2' integral '$3'"; fi
  }
  check chipset_id "$(field chipset_id)" "$(jfield chipset_id)"
  check vendor "$(field vendor)" "$(jfield module_vendor)"
  check date "$(field date)" "0x$(jfield date)"
  check size "$(field 'size\*4')" "$(jfield size)"
  check os_sinit_data_ver "$(field os_sinit_data_ver)" "$(jfield os_sinit_data_ver)"
  check capabilities "$(field capabilities)" "$(jfield capabilities)"
  check min_mle_hdr_ver "$(field min_mle_hdr_ver)" "$(jfield min_mle_hdr_ver)"
  check device_id "$(field device_id)" "$(jfield device_id)"
  check fms "$(field fms)" "$(jfield fms)"
  check fms_mask "$(field fms_mask)" "$(jfield fms_mask)"
  algs=$(sed -n 's/.*alg_id: //p' info.txt | tr '\n' ' ')
  [[ $algs == "0x4 0xb " ]] && grep -q '"0x4"' acm.json && grep -q '"0xb"' acm.json &&
    ok "TPM algorithms $algs" || bad "TPM algorithms: txt-acminfo '$algs'"
  grep -q 'chipset_acm_type: 0x1 (SINIT)' info.txt && grep -q '"sinit": true' acm.json &&
    ok "SINIT type" || bad "SINIT type"
else
  bad "txt-acminfo missing (scripts/deps/txt.list installs package tboot)"
fi

# HASH_START by hand: SHA-256 over [0,128) || [0x4c0, 4*Size), then || LE32 EDX.
{ head -c 128 acm.bin; tail -c +$((0x4c0 + 1)) acm.bin; } >region.bin
acmhash=$(openssl dgst -sha256 -r region.bin | cut -d' ' -f1)
for edx in 0 5; do
  data="$acmhash$(printf '%02x000000' "$edx")"
  e1=$(printf '%s' "$data" | xxd -r -p | openssl dgst -sha1 -r | cut -d' ' -f1)
  e256=$(printf '%s' "$data" | xxd -r -p | openssl dgst -sha256 -r | cut -d' ' -f1)
  legacy=$(printf '%040d%s' 0 "$e1" | xxd -r -p | openssl dgst -sha1 -r | cut -d' ' -f1)
  "$INTEGRAL" txt sinit-hash acm.bin --edx "$edx" --alg sha1,sha256 --json >s.json
  for want in "$acmhash" "$data" "$e1" "$e256" "$legacy"; do
    grep -q "\"$want\"" s.json && ok "edx $edx: ${want:0:16}" || bad "edx $edx: $want not in $(cat s.json)"
  done
done

# Lying sizes: exit 3 naming the file and offset.
cp acm.bin lie.bin
printf '\x00\x00\x01\x00' | dd of=lie.bin bs=1 seek=24 conv=notrunc status=none
expect_bad_input "lying Size" "lie.bin: offset 0x18" "$INTEGRAL" txt acm lie.bin
finish
