#!/usr/bin/env bash
# integral txt mle-hash equals lcp2_mlehash (Debian package tboot) on the Debian tboot.gz, for
# several tboot command lines and every algorithm both support; hostile copies are refused with
# the offset.
. "$(dirname "$0")/lib/common.sh"

PATH=$PATH:/usr/sbin:/sbin
TBOOT=${TBOOT_GZ:-/boot/tboot.gz}
if ! command -v lcp2_mlehash >/dev/null || [[ ! -r $TBOOT ]]; then
  bad "lcp2_mlehash or $TBOOT missing (scripts/deps/txt.list installs package tboot)"
  finish
  exit 1
fi
cd "$WORK"

long=$(printf 'x%.0s' $(seq 1 510))
cmdlines=("logging=serial,memory,vga" "" "logging=serial,memory serial=115200,8n1,0x3f8"
  "min_ram=0x2000000 loglvl=all pcr_map=da extpol=embedded measure_nv=true" "$long")
for alg in sha1 sha256 sha384 sha512; do
  for c in "${cmdlines[@]}"; do
    expect_equal "$alg cmdline '${c:0:40}' = lcp2_mlehash" \
      "$(lcp2_mlehash --create --cmdline "$c" --alg "$alg" "$TBOOT" | tr -d ' \n')" \
      "$("$INTEGRAL" txt mle-hash "$TBOOT" --cmdline "$c" --alg "$alg")"
  done
done
# Without --cmdline both leave the buffer as in the file; default algorithm sha256 in both.
want=$(lcp2_mlehash --create "$TBOOT" | tr -d ' \n')
got=$("$INTEGRAL" txt mle-hash "$TBOOT")
[[ $got == "$want" ]] && ok "no cmdline, default alg" || bad "no cmdline: $got vs $want"

# Several banks at once, and the uncompressed ELF gives the same values.
zcat "$TBOOT" >tboot.elf
multi=$("$INTEGRAL" txt mle-hash tboot.elf --cmdline "logging=vga" --alg sha1,sha256)
w1=$(lcp2_mlehash --create --cmdline "logging=vga" --alg sha1 "$TBOOT" | tr -d ' \n')
w2=$(lcp2_mlehash --create --cmdline "logging=vga" --alg sha256 "$TBOOT" | tr -d ' \n')
[[ $multi == "sha1  $w1"$'\n'"sha256  $w2" ]] && ok "ELF input, two banks" || bad "two banks: $multi"

# JSON carries the MLE header lcp2_mlehash --verbose reports.
"$INTEGRAL" txt mle-hash "$TBOOT" --json >h.json
grep -q '"mle_start_off": "0x' h.json && ok "json header" || bad "json header"

# Hostile inputs: exit 3, one line naming the file and an offset, no crash.
head -c 50000 "$TBOOT" >trunc.gz
expect3() {
  set +e
  "$INTEGRAL" txt mle-hash "$1" >/dev/null 2>err.txt
  local rc=$?
  set -e
  if [[ $rc -eq 3 ]] && grep -q "$1" err.txt && grep -q "$2" err.txt; then
    ok "$1 refused: $(cat err.txt)"
  else
    bad "$1: rc $rc, $(cat err.txt)"
  fi
}
expect3 trunc.gz "truncated gzip"
head -c 100000 tboot.elf >trunc.elf
expect3 trunc.elf "offset 0x"
# A program header claiming more file data than exists.
cp tboot.elf lying.elf
printf '\xff\xff\xff\x0f' | dd of=lying.elf bs=1 seek=$((52 + 16)) conv=notrunc status=none
expect3 lying.elf "offset 0x"
finish
