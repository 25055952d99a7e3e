#!/usr/bin/env bash
# `integral pcrsig` against Debian's systemd-measure 252 `sign`, which computes its policies with
# a TPM (swtpm here): the .pcrsig files are cmp-equal for two RSA keys (PKCS#1 v1.5 signatures
# are deterministic), four banks, systemd's default phases, explicit phase paths and none, from
# section files and from an objcopy-built UKI. An EC key's ECDSA signatures are randomized:
# same policies and key fingerprint, each signature verified by openssl. The policy over PCRs
# 7+11 equals `integral predict --policy`'s. systemd 254's and 257's systemd-measure (Debian's
# backports and trixie: scripts/peers/) sign the same without a TPM, for UKIs of their own
# section sets. Then the refusals.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/swtpm.sh"
. "$(dirname "$0")/lib/uefi.sh"

cd "$WORK"
prng_bytes pcrsig-linux 70001 >linux
printf 'ID=pcrsig\nNAME="pcrsig test"\n' >osrel
printf 'console=ttyS0 root=/dev/vda2 ro' >cmdline
prng_bytes pcrsig-initrd 9000 >initrd
make_uki uki.efi linux osrel cmdline initrd
banks='banks = ["sha1", "sha256", "sha384", "sha512"]'
printf '%s\n[[stage]]\ntype = "uki"\nsystemd_version = 252\nlinux = "linux"\nosrel = "osrel"\ncmdline = "cmdline"\ninitrd = "initrd"\n' \
  "$banks" >files.toml
printf '%s\n[[stage]]\ntype = "uki"\nuki = "uki.efi"\n' "$banks" >uki.toml

swtpm_start measure
measure_sign() { # KEY PUB ARGS... -> systemd-measure's .pcrsig on stdout
  local key=$1 pub=$2
  shift 2
  "$SYSTEMD_MEASURE" sign --linux=linux --osrel=osrel --cmdline=cmdline --initrd=initrd \
    --private-key="$key" --public-key="$pub" --tpm2-device="$TPM2TOOLS_TCTI" "$@"
}

for bits in 2048 3072; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits -out rsa$bits.pem 2>/dev/null
  openssl pkey -in rsa$bits.pem -pubout -out rsa$bits.pub
  # (systemd-measure options | integral options), one case per line
  while IFS='|' read -r theirs ours; do
    # shellcheck disable=SC2086 # the options are words
    measure_sign rsa$bits.pem rsa$bits.pub $theirs >want.json
    for desc in files.toml uki.toml; do
      # shellcheck disable=SC2086
      "$INTEGRAL" pcrsig $desc --private-key rsa$bits.pem --public-key rsa$bits.pub $ours -o got.json
      if [[ -s want.json ]] && cmp -s want.json got.json; then
        ok "RSA $bits, $desc, [$ours]: cmp-equal to systemd-measure sign"
      else
        bad "RSA $bits, $desc, [$ours]: differs from systemd-measure sign"
        diff <(tr , '\n' <want.json) <(tr , '\n' <got.json) | head -5
      fi
    done
  done <<'CASES'
 |
--bank=sha256 --phase=|--bank sha256 --phase=
--bank=sha512 --bank=sha1 --phase=enter-initrd:leave-initrd --phase=sysinit:x::|--bank sha1 --bank sha512 --phase sysinit:x:: --phase enter-initrd:leave-initrd
--bank=sha384 --phase=enter-initrd --phase=enter-initrd|--bank sha384 --bank sha384 --phase enter-initrd --phase enter-initrd
CASES
done

# systemd-measure 254 and 257 sign without a TPM; their UKIs measure more sections (.uname,
# .sbat; .ucode from 257), in their own order: the same files, the stage told the version.
peers="$(dirname "$0")/../scripts/peers"
printf '6.1.0-integral' >uname
printf 'sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n' >sbat
prng_bytes pcrsig-ucode 5000 >ucode
sign_version() { # V SECTIONS... ; then the systemd-measure command after --
  local v=$1 keys="" s
  shift
  local args=()
  while [[ $1 != -- ]]; do
    args+=("--$1=$1")
    keys+="$1 = \"$1\"\n"
    shift
  done
  shift
  printf '%s\n[[stage]]\ntype = "uki"\nsystemd_version = %s\n%b' "$banks" "$v" "$keys" >v$v.toml
  for phases in "" "--phase=enter-initrd:leave-initrd"; do
    # shellcheck disable=SC2086 # no phases, or one option
    "$@" sign "${args[@]}" --private-key=rsa2048.pem --public-key=rsa2048.pub $phases >want.json 2>measure.err ||
      { bad "systemd-measure $v sign failed: $(tail -2 measure.err)"; continue; }
    # shellcheck disable=SC2086
    "$INTEGRAL" pcrsig v$v.toml --private-key rsa2048.pem $phases -o got.json
    if [[ -s want.json ]] && cmp -s want.json got.json; then
      ok "systemd $v (${args[*]//--/}) [$phases]: cmp-equal to its systemd-measure sign"
    else
      bad "systemd $v [$phases]: differs from its systemd-measure sign"
    fi
  done
}
if root=$("$peers/systemd-254.sh" 2>peer254.err); then
  m254=$(find "$root/lib/systemd" "$root/usr/lib/systemd" -maxdepth 1 -name systemd-measure 2>/dev/null | head -1)
  sign_version 254 linux osrel cmdline initrd uname sbat -- \
    env LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu/systemd" "$m254"
else
  skip "systemd 254: $(cat peer254.err)"
fi
if root=$("$peers/systemd-257-chroot.sh" 2>peer257.err); then
  sign_version 257 linux osrel cmdline initrd uname sbat ucode -- \
    "$root/lib64/ld-linux-x86-64.so.2" \
    --library-path "$root/usr/lib/x86_64-linux-gnu/systemd:$root/usr/lib/x86_64-linux-gnu" \
    "$root/usr/lib/systemd/systemd-measure"
else
  skip "systemd 257: $(cat peer257.err)"
fi

# EC (P-256): ECDSA signatures differ each time; everything else must not, and each signature
# must verify over its policy with the bank's hash.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
openssl pkey -in ec.pem -pubout -out ec.pub
measure_sign ec.pem ec.pub >want.json
"$INTEGRAL" pcrsig files.toml --private-key ec.pem -o got.json
strip_sig() { jq -c 'map_values(map(del(.sig)))' "$1"; }
expect_equal "EC: banks, phases, policies and key fingerprint" "$(strip_sig want.json)" "$(strip_sig got.json)"
verified=0 entries=0
for bank in sha1 sha256 sha384 sha512; do
  n=$(jq ".$bank | length" got.json)
  for ((i = 0; i < n; i++)); do
    jq -r ".$bank[$i].pol" got.json | xxd -r -p >pol.bin
    jq -r ".$bank[$i].sig" got.json | base64 -d >sig.bin
    entries=$((entries + 1))
    openssl dgst -"$bank" -verify ec.pub -signature sig.bin pol.bin >/dev/null && verified=$((verified + 1))
  done
done
((entries == 16 && verified == 16)) && ok "EC: all $verified signatures verify (openssl dgst -verify)" ||
  bad "EC: $verified of $entries signatures verify"

# A selection beyond PCR 11: the same policy as `integral predict --policy` (itself checked
# against tpm2_createpolicy in swtpm_policy_test.sh).
"$INTEGRAL" pcrsig files.toml --private-key rsa2048.pem --bank sha256 --pcr 7 --pcr 11 --phase '' -o sel.json
expect_equal "PCRs 7+11: the policy of integral predict --policy sha256:7,11" \
  "$("$INTEGRAL" predict files.toml --policy sha256:7,11 | sed -n 's/^PolicyPCR .*: //p')" \
  "$(jq -r '.sha256[0].pol' sel.json)"
expect_equal "PCRs 7+11: listed" "[7,11]" "$(jq -c '.sha256[0].pcrs' sel.json)"

# Refusals: nothing written on any of them.
rm -f out.json
expect_bad_input "another key's public half" "rsa3072.pub" \
  "$INTEGRAL" pcrsig files.toml --private-key rsa2048.pem --public-key rsa3072.pub -o out.json
printf 'not a key\n' >junk.pem
expect_bad_input "not a PEM key" "junk.pem" "$INTEGRAL" pcrsig files.toml --private-key junk.pem -o out.json
printf '%s\n[[stage]]\ntype = "uki"\nuki = "uki.efi"\n' 'banks = ["sha256"]' >one.toml
expect_exit 2 "a bank the prediction lacks" "sha1" \
  "$INTEGRAL" pcrsig one.toml --private-key rsa2048.pem --bank sha1 -o out.json
[[ ! -e out.json ]] && ok "refusals wrote nothing" || bad "a refusal left out.json"
swtpm_stop
finish
