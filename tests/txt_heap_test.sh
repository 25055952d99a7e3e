#!/usr/bin/env bash
# integral txt heap: the post-launch heap printout of vector A (txt-stat, Dell E5470) decodes to
# the values the printout shows (taken here with sed), and a binary heap written here byte by
# byte decodes to the values put in; a heap whose region overruns it is refused with its offset.
. "$(dirname "$0")/lib/common.sh"

. "$(dirname "$0")/lib/txt.sh"

txt_vector A
cd "$WORK"
"$INTEGRAL" txt heap "$A" --json >a.json && ok "vector A heap decodes" || bad "vector A heap"
# The last printout of each region (after "measured launch succeeded").
post=$(sed -n '/measured launch succeeded/,$p' "$A")
field() { echo "$post" | sed -n "/$1 (@/,/^TBOOT: [a-z_]* (@/p" | sed -n "s/.*[[:space:]]$2: \([^ ]*\).*/\1/p" | head -1; }
for f in mle_ptab mle_size mle_hdr_base vtd_pmr_lo_size vtd_pmr_hi_base vtd_pmr_hi_size efi_rsdt_ptr; do
  want=$(field os_sinit_data $f)
  got=$(jq -r ".os_sinit_data.$f" a.json)
  [[ -n $want && $((got)) -eq $((want)) ]] && ok "os_sinit_data.$f = $want" || bad "$f: $got want $want"
done
want=$(field os_sinit_data capabilities)
[[ $(($(jq -r .os_sinit_data.capabilities a.json))) -eq $((want)) ]] && ok "capabilities $want" ||
  bad "capabilities"
want=$(field sinit_mle_data rlp_wakeup_addr)
[[ $(jq -r .sinit_mle_data.rlp_wakeup_addr a.json) == "$want" ]] && ok "rlp_wakeup_addr $want" ||
  bad "rlp_wakeup_addr"
[[ $(jq -r '.sinit_mle_data.mdrs | length' a.json) -eq $(field sinit_mle_data num_mdrs) ]] &&
  ok "num_mdrs MDRs decoded" || bad "mdrs"
[[ $(jq -r '.bios_data.ext_data_elts[1].acm_addrs[0]' a.json) == "$(field bios_data 'acm_addrs\[0\]')" ]] &&
  ok "BiosData ACM element" || bad "ACM element"

# A binary heap by hand: BiosData v3 (36 bytes), OsMleData (4), OsSinitData v5 (92),
# SinitMleData v6 (144). Little-endian fields written as hex.
le() { printf "%0$(($2 * 2))x" "$1" | fold -w2 | tac | tr -d '\n'; }
{
  le 44 8; le 3 4; le 0 4; le 0 8; le 0 8; le 2 4; le 1 8
  le 12 8; le 3 4
  le 100 8; le 5 4; le 0 4; le 0x801000 8; le 0x3d000 8; le 0x1e1a0 8; le 0 8; le 0xb9000000 8
  le 0 8; le 0 8; le 0 8; le 0 8; le 2 4; le 0 8
  le 152 8; le 6 4; printf 'ab%.0s' {1..20}; le 0 4; le 0 8; printf 'cd%.0s' {1..20}
  printf 'ef%.0s' {1..20}; printf '00%.0s' {1..40}; le 0 4; le 0xb9901af0 4; le 0 4; le 0 4
  le 0 4; le 0 4; le 0 4
} | xxd -r -p >heap.bin
"$INTEGRAL" txt heap heap.bin --json >h.json && ok "binary heap decodes" || bad "binary heap"
[[ $(jq -r .bios_data.num_logical_procs h.json) == 2 && $(jq -r .os_sinit_data.mle_size h.json) == 0x3d000 &&
  $(jq -r .os_sinit_data.vtd_pmr_lo_size h.json) == 0xb9000000 &&
  $(jq -r .sinit_mle_data.sinit_hash h.json) == "$(printf 'cd%.0s' {1..20})" &&
  $(jq -r .sinit_mle_data.mle_hash h.json) == "$(printf 'ef%.0s' {1..20})" &&
  $(jq -r .sinit_mle_data.rlp_wakeup_addr h.json) == 0xb9901af0 ]] && ok "binary heap fields" ||
  bad "binary heap fields $(cat h.json)"
head -c 100 heap.bin >cut.bin
# OsSinitData's size field is at 44 + 12 = 0x38.
expect_bad_input "overrun refused" "cut.bin: offset 0x38: OsSinitData size 0x64 overruns the heap" \
  "$INTEGRAL" txt heap cut.bin
finish
