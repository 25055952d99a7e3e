#!/usr/bin/env bash
# PCR 11 of stage "uki" against Debian's systemd-measure 252 `calculate` for the same inputs,
# in all four banks: from the section files and from an objcopy-built UKI; without phases
# (--phase= : the value right after systemd-stub) and with phase words. Then one byte changed in
# any input changes the prediction, and `verify` names PCR 11 and the artifact.
# usage: uki_pcr11_test.sh [ROUNDS]
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uefi.sh"

ROUNDS=${1:-4}
cd "$WORK"
measure() { # PHASE BANK DIR -> hex
  "$SYSTEMD_MEASURE" calculate --linux="$3/linux" --osrel="$3/osrel" --cmdline="$3/cmdline" \
    --initrd="$3/initrd" --bank="$2" --phase="$1" 2>/dev/null | sed -n "s/^11:$2=//p"
}
for ((r = 0; r < ROUNDS; r++)); do
  d=r$r
  mkdir -p $d
  prng_bytes "k$r" $((1000 + r * 77777)) >$d/linux
  printf 'ID=round%d\nNAME="round %d"\n' $r $r >$d/osrel
  printf 'console=ttyS0 root=/dev/vda%d' $r >$d/cmdline
  if ((r == 1)); then : >$d/initrd; else prng_bytes "i$r" $((r * 3001)) >$d/initrd; fi
  make_uki $d/uki.efi $d/linux $d/osrel $d/cmdline $d/initrd
  for phase in "" "enter-initrd" "enter-initrd:leave-initrd"; do
    words=$(echo "$phase" | awk -F: '{ for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), $i }')
    printf 'banks = ["sha1", "sha256", "sha384", "sha512"]\n[[stage]]\ntype = "uki"\nuki = "uki.efi"\nphases = [%s]\n' \
      "$words" >$d/uki.toml
    printf 'banks = ["sha1", "sha256", "sha384", "sha512"]\n[[stage]]\ntype = "uki"\nsystemd_version = 252\nlinux = "linux"\nosrel = "osrel"\ncmdline = "cmdline"\ninitrd = "initrd"\nphases = [%s]\n' \
      "$words" >$d/files.toml
    for bank in sha1 sha256 sha384 sha512; do
      want=$(measure "$phase" $bank $d)
      # systemd-measure's value; the prediction from the UKI, then from its section files
      expect_equal "round $r phase '$phase' $bank $want" "$want" \
        "$(predicted_pcr $d/uki.toml $bank 11)" "$(predicted_pcr $d/files.toml $bank 11)"
    done
  done
done

# One changed byte in os-release: verify against the old prediction fails on PCR 11 and names
# the UKI section.
d=r0
"$INTEGRAL" predict $d/uki.toml --json -o before.json
printf 'X' | dd of=$d/osrel bs=1 seek=3 conv=notrunc status=none
make_uki $d/uki.efi $d/linux $d/osrel $d/cmdline $d/initrd
"$INTEGRAL" predict $d/uki.toml --yaml >after.yaml
set +e
"$INTEGRAL" verify --expect before.json --pcrs after.yaml >verify.txt 2>&1
rc=$?
set -e
if [[ $rc -eq 1 ]] && grep -q "11" verify.txt && grep -q "uki.efi#.osrel" verify.txt; then
  ok "changed os-release -> verify exit 1 naming PCR 11 and uki.efi#.osrel"
else
  bad "changed os-release -> rc=$rc: $(cat verify.txt)"
fi
finish
