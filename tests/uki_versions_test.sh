#!/usr/bin/env bash
# Stage "uki" against the systemd-measure of each modelled systemd version that Debian ships,
# with UKIs built from that version's own stub: 252 (the host's), 254 (bookworm-backports,
# scripts/peers/systemd-254.sh) and 257 (a trixie root, scripts/peers/systemd-257-chroot.sh).
# 254's and 257's own ukify build UKIs too, whose --measure output the prediction must equal.
# Each UKI carries every section its stub measures (.uname, .sbat from 254, .ucode from 257) and
# the boot description names no systemd_version: the stage takes it from .sdmagic. For 257 the
# UKI is also built by ukify, whose --measure output is the reference. Then the refusals: a
# section the stub does not measure, and a systemd_version that contradicts .sdmagic.
# Exits 77 (after running what it can) when a peer cannot be had, naming why.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uefi.sh"

peers=${INTEGRAL_SOURCE_DIR:-$(dirname "$0")/..}/scripts/peers
BANKS=(sha1 sha256 sha384 sha512)
skipped=()
cd "$WORK"

# inputs DIR N: every section file, deterministic per round
inputs() {
  mkdir -p "$1"
  prng_bytes "linux$2" $((4000 + $2 * 5555)) >"$1/linux"
  printf 'ID=v%d\nNAME="versions %d"\n' "$2" "$2" >"$1/osrel"
  printf 'console=ttyS0 root=/dev/vda%d' "$2" >"$1/cmdline"
  prng_bytes "initrd$2" $((3000 + $2 * 101)) >"$1/initrd"
  prng_bytes "ucode$2" 777 >"$1/ucode"
  prng_bytes "splash$2" 321 >"$1/splash"
  prng_bytes "dtb$2" 222 >"$1/dtb"
  printf '6.1.0-%d-amd64' "$2" >"$1/uname"
  prng_bytes "pcrpkey$2" 451 >"$1/pcrpkey"
}

# build_uki OUT STUB DIR SECTION...: the stub plus the named sections (files in DIR), each at
# its own page above the stub's image, the timestamp pinned
build_uki() {
  local out=$1 stub=$2 dir=$3 base end args=() n=0 s
  shift 3
  base=$(objdump -p "$stub" | awk '$1 == "ImageBase" { print $2 }')
  end=$(objdump -p "$stub" | awk '$1 == "SizeOfImage" { print $2 }')
  for s in "$@"; do
    args+=(--add-section ".$s=$dir/$s"
      --change-section-vma ".$s=$(printf '%#x' $((0x$base + 0x$end + n * 0x100000)))")
    n=$((n + 1))
  done
  objcopy "${args[@]}" "$stub" "$out"
  pe_pin_timestamp "$out" 0
}

toml() { # OUT PHASES [EXTRA]: a uki stage over uki.efi in OUT's directory
  local words
  words=$(echo "$2" | awk -F: '{ for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), $i }')
  printf 'banks = ["sha1", "sha256", "sha384", "sha512"]\n[[stage]]\ntype = "uki"\n%bphases = [%s]\n' \
    "${3:-}" "$words" >"$1"
}

# check_version V MEASURE... : MEASURE is the command line of that version's systemd-measure;
# STUB, SECTIONS are set by the caller
check_version() {
  local v=$1 d=v$1 s phase bank keys="" args=() added=()
  shift
  inputs $d "$v"
  for s in "${SECTIONS[@]}"; do
    if [[ $s == sbat ]]; then # the stub's own .sbat (objcopy cannot add a second one)
      objcopy --dump-section .sbat=$d/sbat "$STUB" $d/stub.copy
    else
      added+=("$s")
    fi
    args+=("--$s=$d/$s")
    keys+="$s = \"$s\"\n"
  done
  build_uki $d/uki.efi "$STUB" $d "${added[@]}"
  for phase in "" "enter-initrd:leave-initrd"; do
    toml $d/uki.toml "$phase" 'uki = "uki.efi"\n'
    toml $d/files.toml "$phase" "systemd_version = $v\n$keys"
    "$@" calculate "${args[@]}" "${BANKS[@]/#/--bank=}" --phase="$phase" >$d/want 2>/dev/null ||
      { bad "$v: systemd-measure calculate failed"; return; }
    for bank in "${BANKS[@]}"; do
      # systemd-measure's value; the prediction from the UKI, then from its section files
      expect_equal "systemd $v (${SECTIONS[*]}) phase '$phase' $bank" \
        "$(sed -n "s/^11:$bank=//p" $d/want)" \
        "$(predicted_pcr $d/uki.toml $bank 11)" "$(predicted_pcr $d/files.toml $bank 11)"
    done
  done
}

# expect_refusal NAME TOML NEEDLE...: predict exits 3 and its message has every needle
expect_refusal() {
  local name=$1 toml=$2 rc needle
  shift 2
  set +e
  "$INTEGRAL" predict "$toml" --yaml >refused.out 2>&1
  rc=$?
  set -e
  for needle in "$@"; do
    if ! grep -qF -- "$needle" refused.out; then
      bad "$name: rc=$rc, no '$needle' in: $(head -c 300 refused.out)"
      return
    fi
  done
  if [[ $rc -eq 3 ]]; then ok "$name: exit 3 naming $*"; else bad "$name: rc=$rc"; fi
}

# --- 252: the host's systemd (scripts/deps/uefi.list)
if [[ -x $SYSTEMD_MEASURE && -f $EFI_STUB ]]; then
  STUB=$EFI_STUB
  SECTIONS=(linux osrel cmdline initrd splash dtb pcrpkey)
  check_version 252 "$SYSTEMD_MEASURE"
  # A .uname in a 252 image: the 252 stub would not measure it, so the stage refuses.
  build_uki u252.efi "$STUB" v252 linux osrel uname
  toml u252.toml "" 'uki = "u252.efi"\n'
  expect_refusal "252 stub + .uname" u252.toml .uname "systemd-stub 252"
else
  skipped+=("no systemd 252 ($SYSTEMD_MEASURE, $EFI_STUB)")
fi

# peer V SCRIPT: scripts/peers/SCRIPT makes systemd V's files; sets pV to their root and STUB
# to its stub; false (the reason in peerV.err) when it cannot.
peer() {
  local t0 root
  t0=$(date +%s)
  root=$("$peers/$2" 2>"peer$1.err") || return 1
  echo "systemd $1 peer ready in $(($(date +%s) - t0)) s: $root ($(cat "$root/version"))"
  printf -v "p$1" '%s' "$root"
  STUB=$root/usr/lib/systemd/boot/efi/linuxx64.efi.stub
}

# --- 254: bookworm-backports, unpacked (its binaries run on bookworm's libc)
if peer 254 systemd-254.sh; then
  m254=$(find "$p254/lib/systemd" "$p254/usr/lib/systemd" -maxdepth 1 -name systemd-measure 2>/dev/null | head -1)
  SECTIONS=(linux osrel cmdline initrd splash dtb uname sbat pcrpkey)
  check_version 254 env LD_LIBRARY_PATH="$p254/usr/lib/x86_64-linux-gnu/systemd" "$m254"
  # .ucode is 256's: the 254 stub ignores it, so the stage refuses it.
  build_uki u254.efi "$STUB" v254 linux osrel ucode
  toml u254.toml "" 'uki = "u254.efi"\n'
  expect_refusal "254 stub + .ucode" u254.toml .ucode "systemd-stub 254"
  # The stub's .sdmagic outranks a contradicting systemd_version.
  toml c254.toml "" 'uki = "v254/uki.efi"\nsystemd_version = 252\n'
  expect_refusal "systemd_version 252 on a 254 stub" c254.toml "systemd-stub 254" .sdmagic
  # 254's own ukify (from its source package, scripts/peers/systemd-254.sh) builds a UKI on 254's
  # stub; its --measure (254's systemd-measure) and integral's prediction of that UKI agree for
  # each phase path. Debian's python3 runs it (python3-pefile; not whatever python3 PATH has).
  if /usr/bin/python3 -c 'import pefile' 2>/dev/null; then
    k=k254
    inputs $k 7
    mkdir -p $k/tools
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$p254/usr/lib/x86_64-linux-gnu/systemd" \
      "$m254" >$k/tools/systemd-measure
    chmod +x $k/tools/systemd-measure
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $k/key.pem 2>/dev/null
    openssl pkey -in $k/key.pem -pubout -out $k/pub.pem
    if /usr/bin/python3 "$p254/ukify.py" build --linux=$k/linux --initrd=$k/initrd \
      --cmdline=@$k/cmdline --os-release=@$k/osrel --uname="$(cat $k/uname)" --devicetree=$k/dtb \
      --pcrpkey=$k/pub.pem --stub="$STUB" --tools=$k/tools --measure --output=$k/uki.efi \
      >$k/measure.txt 2>&1; then
      for phase in enter-initrd enter-initrd:leave-initrd; do
        toml $k/p.toml "$phase" 'uki = "uki.efi"\n'
        for bank in "${BANKS[@]}"; do
          expect_equal "ukify 254's UKI, phase '$phase' $bank" \
            "$(sed -n "/Phase <$phase>/,/sha512/ s/^11:$bank=//p" $k/measure.txt)" \
            "$(predicted_pcr $k/p.toml $bank 11)"
        done
      done
    else
      bad "ukify 254 build failed: $(tail -3 $k/measure.txt)"
    fi
  else
    skipped+=("ukify 254: Debian's python3 has no pefile (python3-pefile, scripts/deps/uefi.list)")
  fi
else
  skipped+=("systemd 254: $(cat peer254.err)")
fi

# --- 257: a trixie root (its binaries need trixie's libc: run through its own loader, and
# ukify inside it with chroot)
if peer 257 systemd-257-chroot.sh; then
  SECTIONS=(linux osrel cmdline initrd ucode splash dtb uname sbat pcrpkey)
  check_version 257 "$p257/lib64/ld-linux-x86-64.so.2" \
    --library-path "$p257/usr/lib/x86_64-linux-gnu/systemd:$p257/usr/lib/x86_64-linux-gnu" \
    "$p257/usr/lib/systemd/systemd-measure"
  # ukify's own UKI (it merges its .sbat with the stub's) and its --measure values; ukify
  # runs inside the root (chroot), so as root only
  if [[ $(id -u) -ne 0 ]]; then
    skipped+=("ukify 257: running it in the trixie root needs root")
  else
    in=$(mktemp -d "$p257/tmp/integral-uki.XXXXXX")
    trap 'rm -rf "$in"; cleanup' EXIT
    inputs "$in" 7
    for ucode in with without; do # with and without .ucode (257 measures it after .initrd)
      mc=()
      [[ $ucode == without ]] || mc=(--microcode=/tmp/${in##*/}/ucode)
      chroot "$p257" ukify build --linux=/tmp/${in##*/}/linux --initrd=/tmp/${in##*/}/initrd \
        "${mc[@]}" --os-release=@/tmp/${in##*/}/osrel \
        --cmdline=@/tmp/${in##*/}/cmdline --uname=6.1.0-7-amd64 --splash=/tmp/${in##*/}/splash \
        --devicetree=/tmp/${in##*/}/dtb --pcrpkey=/tmp/${in##*/}/pcrpkey \
        --measure --output=/tmp/${in##*/}/uki.efi >ukify.out 2>&1 ||
        bad "ukify build ($ucode .ucode): $(tail -3 ukify.out)"
      cp "$in/uki.efi" ukify.efi
      rm -f "$in/uki.efi"
      for phase in enter-initrd enter-initrd:leave-initrd:sysinit:ready; do
        toml ukify.toml "$phase" 'uki = "ukify.efi"\n'
        for bank in "${BANKS[@]}"; do
          want=$(awk -v p="# PCR[11] Phase <$phase>" -v b="11:$bank=" \
            '$0 == p { on = 1; next } /^#/ { on = 0 } on && index($0, b) == 1 { print substr($0, length(b) + 1) }' ukify.out)
          expect_equal "ukify 257 UKI ($ucode .ucode) phase '$phase' $bank" "$want" \
            "$(predicted_pcr ukify.toml $bank 11)"
        done
      done
    done
  fi
  # A multi-profile UKI (257): ukify joins two profile PE binaries to a base with its own
  # .profile; ukify --measure prints, per profile in order, systemd-measure's values. The stage
  # predicts each (`profile = N`): shared sections, then the profile's own, which replace them.
  if [[ $(id -u) -eq 0 ]]; then
    t=/tmp/${in##*/}
    chroot "$p257" ukify build "--profile=ID=rescue" "--cmdline=console=ttyS0 rescue" \
      --output=$t/p1.efi >profile1.out 2>&1 || bad "ukify profile 1: $(tail -2 profile1.out)"
    chroot "$p257" ukify build "--profile=ID=safe" "--cmdline=console=ttyS0 safe" \
      "--os-release=ID=safe-os" --output=$t/p2.efi >profile2.out 2>&1 ||
      bad "ukify profile 2: $(tail -2 profile2.out)"
    chroot "$p257" ukify build --linux=$t/linux --initrd=$t/initrd --os-release=@$t/osrel \
      --cmdline=@$t/cmdline --uname=6.1.0-7-amd64 "--profile=ID=main" \
      --join-profile=$t/p1.efi --join-profile=$t/p2.efi --measure --output=$t/mp.efi \
      >multi.out 2>&1 || bad "ukify multi-profile: $(tail -3 multi.out)"
    cp "$in/mp.efi" mp.efi
    for k in 0 1 2; do
      for phase in enter-initrd enter-initrd:leave-initrd:sysinit:ready; do
        toml mp$k.toml "$phase" "uki = \"mp.efi\"\nprofile = $k\n"
        for bank in "${BANKS[@]}"; do
          # the (k+1)-th block of this phase in ukify's output
          want=$(awk -v p="# PCR[11] Phase <$phase>" -v b="11:$bank=" -v k=$k \
            '$0 == p { n++; on = (n == k + 1); next } /^#/ { on = 0 } on && index($0, b) == 1 { print substr($0, length(b) + 1) }' multi.out)
          expect_equal "257 multi-profile UKI profile $k phase '$phase' $bank" "$want" \
            "$(predicted_pcr mp$k.toml $bank 11)"
        done
      done
    done
    toml mp3.toml "" 'uki = "mp.efi"\nprofile = 3\n'
    expect_refusal "profile 3 of a three-profile UKI" mp3.toml "no profile 3"
  fi
else
  skipped+=("systemd 257: $(cat peer257.err)")
fi

if [[ $FAIL -eq 0 && ${#skipped[@]} -gt 0 ]]; then
  printf 'skipped: %s\n' "${skipped[@]}"
  echo "$PASS passed, $FAIL failed"
  exit 77
fi
finish
