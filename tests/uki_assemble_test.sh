#!/usr/bin/env bash
# `integral uki` against systemd 257's ukify (a trixie root, scripts/peers/systemd-257-chroot.sh):
# the same inputs and keys give cmp-equal UKIs, on 257's stub (with .uname, .ucode, .splash,
# .dtb, one or two PCR-signing keys, phase groups and banks) and on Debian 12's 252 stub
# unsigned. On the 252 stub integral signs the PCR 11 that stub measures: its .pcrsig equals
# systemd-measure 252's `sign` over the same sections (swtpm); ukify 257 signs 257's section
# set there (with .sbat, which a 252 stub does not measure). A UKI's .pcrsig leaves its
# predicted PCR 11 as it is. Every section of integral's UKI equals the input it came from
# (objcopy --dump-section), and `integral predict` of the UKI equals systemd-measure's
# calculate. Then the refusals.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/swtpm.sh"
. "$(dirname "$0")/lib/uefi.sh"

peers=${INTEGRAL_SOURCE_DIR:-$(dirname "$0")/..}/scripts/peers
[[ $(id -u) -eq 0 ]] || skip_all "ukify 257 runs in a trixie root (chroot): needs root"
root=$("$peers/systemd-257-chroot.sh" 2>peer257.err) || skip_all "systemd 257: $(cat peer257.err)"
stub257=stub257.efi
# ukify runs inside the root; its inputs live in a folder there, removed on exit
in=$(mktemp -d "$root/tmp/integral-uki.XXXXXX")
trap 'rm -rf "$in"; cleanup' EXIT
cd "$in"
t=/tmp/${in##*/}  # the same folder as ukify sees it

# A kernel that is a PE without NX_COMPAT, as a UKI's stub has it: the UKI must lose the flag.
cp "$EFI_STUB" stub252.efi
cp "$root/usr/lib/systemd/boot/efi/linuxx64.efi.stub" stub257.efi
python3 - stub252.efi linux <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
pe = struct.unpack_from('<I', d, 0x3c)[0]
dll = pe + 24 + 70
struct.pack_into('<H', d, dll, struct.unpack_from('<H', d, dll)[0] & ~0x100)
open(sys.argv[2], 'wb').write(d + b'kernel payload' * 3000)
PY
prng_bytes uki-initrd1 30001 >initrd1
prng_bytes uki-initrd2 4003 >initrd2
printf 'ID=assemble\nNAME="uki assemble test"\n' >osrel
prng_bytes uki-ucode 1234 >ucode
prng_bytes uki-splash 999 >splash
prng_bytes uki-dtb 777 >dtb
printf 'sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\nexample,1,Example,example,1,https://example.org\n' >sbat.csv
for k in a b; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $k.pem 2>/dev/null
  openssl pkey -in $k.pem -pubout -out $k.pub
done

# same NAME ARGS...: ukify build and integral uki with the same arguments (paths relative to
# the folder: ukify gets them inside the root), cmp-equal
same() {
  local name=$1 a ukify_args=() ours=()
  shift
  for a in "$@"; do
    ours+=("$a")
    # file arguments: --opt=FILE or --opt=@FILE
    if [[ $a =~ ^(--[a-z-]+=)(@?)([a-z0-9_.]+)$ && -e ${BASH_REMATCH[3]} ]]; then
      a="${BASH_REMATCH[1]}${BASH_REMATCH[2]}$t/${BASH_REMATCH[3]}"
    fi
    ukify_args+=("$a")
  done
  if ! chroot "$root" ukify build "${ukify_args[@]}" --output="$t/$name.ukify.efi" >"$name.ukify.log" 2>&1; then
    bad "$name: ukify build failed: $(tail -2 "$name.ukify.log")"
    return
  fi
  if ! "$INTEGRAL" uki "${ours[@]}" -o "$name.efi" 2>"$name.err"; then
    bad "$name: integral uki failed: $(cat "$name.err")"
    return
  fi
  if cmp -s "$name.ukify.efi" "$name.efi"; then
    ok "$name: cmp-equal to ukify 257 ($(stat -c %s "$name.efi") bytes)"
  else
    bad "$name: differs from ukify 257: $(cmp "$name.ukify.efi" "$name.efi" 2>&1 | head -1)"
    objdump -h "$name.ukify.efi" >a.txt
    objdump -h "$name.efi" >b.txt
    diff a.txt b.txt | head -20 || true
  fi
}

common=(--linux=linux --initrd=initrd1 --initrd=initrd2 --os-release=@osrel
  "--cmdline=console=ttyS0 root=/dev/vda2")
same unsigned257 --stub="$stub257" "${common[@]}" --uname=6.1.0-9-amd64 --microcode=ucode \
  --splash=splash --devicetree=dtb --sbat=@sbat.csv --section=.note:built-by-test
same signed257 --stub="$stub257" "${common[@]}" --uname=6.1.0-9-amd64 --microcode=ucode \
  --pcr-private-key=a.pem --pcr-public-key=a.pub "--phases=enter-initrd enter-initrd:leave-initrd" \
  --pcr-banks=sha256,sha1
same twokeys257 --stub="$stub257" "${common[@]}" --uname=6.1.0-9-amd64 \
  --pcr-private-key=a.pem --pcr-public-key=a.pub --pcr-private-key=b.pem --pcr-public-key=b.pub \
  --phases=enter-initrd "--phases=enter-initrd:leave-initrd enter-initrd:leave-initrd:sysinit" \
  --pcrpkey=b.pub
# ukify autodetects a kernel version unless told none (--uname=): a 252 stub does not measure
# .uname, and integral refuses to predict a UKI with a section its stub ignores.
same unsigned252 --stub=stub252.efi "${common[@]}" --uname=

# dump IMAGE SECTION FILE: one section's bytes (objcopy writes a copy of the image too)
dump() { rm -f "$3" && objcopy --dump-section "$2=$3" "$1" scratch.efi && rm -f scratch.efi; }

# The UKI's sections are its inputs, byte for byte.
for s in linux:linux osrel:osrel ucode:ucode splash:splash dtb:dtb; do
  dump unsigned257.efi ".${s%%:*}" got
  if cmp -s got "${s#*:}"; then ok "unsigned257: .${s%%:*} is ${s#*:}"; else bad ".${s%%:*} differs"; fi
done
dump unsigned257.efi .initrd got
cat initrd1 <(printf '\0\0\0') initrd2 <(printf '\0') >joined  # each padded to 4 bytes
cmp -s got joined && ok "unsigned257: .initrd is both initrds, each padded to 4 bytes" ||
  bad ".initrd is not the joined initrds"
dump unsigned257.efi .sbat got
grep -q '^example,1,' got && grep -q '^systemd-stub,' got && ok "unsigned257: .sbat merges the stub's and --sbat's entries" ||
  bad ".sbat misses entries: $(tr '\0' ' ' <got)"
nx() { python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(); pe=struct.unpack_from('<I',d,0x3c)[0]; print(struct.unpack_from('<H',d,pe+24+70)[0] & 0x100)" "$1"; }
[[ $(nx "$stub257") != 0 && $(nx unsigned257.efi) == 0 ]] &&
  ok "the UKI is not NX_COMPAT when its kernel is not" || bad "NX_COMPAT: stub $(nx "$stub257"), UKI $(nx unsigned257.efi)"

# PCR 11 of integral's UKI, predicted, equals systemd-measure 257's calculate over its inputs;
# the UKI's .pcrsig is over that value: its policy for enter-initrd equals ours from the files.
m257() {
  "$root/lib64/ld-linux-x86-64.so.2" \
    --library-path "$root/usr/lib/x86_64-linux-gnu/systemd:$root/usr/lib/x86_64-linux-gnu" \
    "$root/usr/lib/systemd/systemd-measure" "$@"
}
cat initrd1 <(printf '\0\0\0') initrd2 <(printf '\0') >initrd.joined
printf 'console=ttyS0 root=/dev/vda2' >cmdline
printf '6.1.0-9-amd64' >uname
dump signed257.efi .sbat sbat.signed
dump signed257.efi .pcrpkey pcrpkey.signed
m257 calculate --linux=linux --initrd=initrd.joined --osrel=osrel --cmdline=cmdline \
  --uname=uname --ucode=ucode --sbat=sbat.signed --pcrpkey=pcrpkey.signed --bank=sha256 --phase= >calc.txt
printf 'banks = ["sha256"]\n[[stage]]\ntype = "uki"\nuki = "signed257.efi"\n' >signed.toml
expect_equal "signed257: predicted PCR 11 = systemd-measure 257 calculate" \
  "$(sed -n 's/^11:sha256=//p' calc.txt)" "$(predicted_pcr signed.toml sha256 11)"
m257 sign --linux=linux --initrd=initrd.joined --osrel=osrel --cmdline=cmdline --uname=uname \
  --ucode=ucode --sbat=sbat.signed --pcrpkey=pcrpkey.signed --bank=sha256 --bank=sha1 \
  --private-key=a.pem --public-key=a.pub --phase=enter-initrd --phase=enter-initrd:leave-initrd >want.json
dump signed257.efi .pcrsig got.json
expect_equal "signed257: .pcrsig is systemd-measure 257 sign's" "$(jq -S -c . want.json)" "$(jq -S -c . got.json)"
# .pcrsig is not measured: the prediction with and without it is the same
objcopy --remove-section .pcrsig signed257.efi nosig.efi
printf 'banks = ["sha256"]\n[[stage]]\ntype = "uki"\nuki = "nosig.efi"\n' >nosig.toml
expect_equal "signed257: .pcrsig leaves PCR 11 as it is" \
  "$(predicted_pcr signed.toml sha256 11)" "$(predicted_pcr nosig.toml sha256 11)"

# On the 252 stub: integral signs what that stub measures. systemd-measure 252 signs with a TPM.
swtpm_start measure252
"$INTEGRAL" uki --stub=stub252.efi "${common[@]}" --pcr-private-key=a.pem --pcr-public-key=a.pub \
  --pcr-banks=sha1,sha256,sha384,sha512 -o signed252.efi
dump signed252.efi .pcrpkey pcrpkey.252
"$SYSTEMD_MEASURE" sign --linux=linux --initrd=initrd.joined --osrel=osrel --cmdline=cmdline \
  --pcrpkey=pcrpkey.252 --private-key=a.pem --public-key=a.pub --tpm2-device="$TPM2TOOLS_TCTI" \
  --bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512 >want252.json
dump signed252.efi .pcrsig got252.json
expect_equal "signed252: .pcrsig is systemd-measure 252 sign's, four banks, four phases" \
  "$(jq -S -c . want252.json)" "$(jq -S -c . got252.json)"
swtpm_stop
if chroot "$root" ukify build --stub="$t/stub252.efi" --linux="$t/linux" --initrd="$t/initrd1" \
  --initrd="$t/initrd2" --os-release="@$t/osrel" "--cmdline=console=ttyS0 root=/dev/vda2" --uname= \
  --pcr-private-key="$t/a.pem" --pcr-public-key="$t/a.pub" --pcr-banks=sha1,sha256,sha384,sha512 \
  --output="$t/ukify252.efi" >ukify252.log 2>&1; then
  dump ukify252.efi .pcrsig ukify252.json
  if [[ $(jq -S -c . ukify252.json) != "$(jq -S -c . want252.json)" ]]; then
    echo "note: ukify 257 on the 252 stub signs 257's section set (.sbat included), which that stub does not measure"
  fi
fi

# Refusals: a signed stub, a key that is not the public key's, options ukify would refuse.
openssl req -new -x509 -key a.pem -subj /CN=uki-test -days 1 -out a.crt 2>/dev/null
sbsign --key a.pem --cert a.crt --output signedstub.efi "$stub257" >/dev/null 2>&1
expect_bad_input "a signed stub" "the stub is signed" \
  "$INTEGRAL" uki --stub=signedstub.efi --linux=linux -o x.efi
expect_bad_input "a public key of another key" "not the public key of" \
  "$INTEGRAL" uki --stub="$stub257" --linux=linux --pcr-private-key=a.pem --pcr-public-key=b.pub -o x.efi
expect_exit 2 "--phases without a key" "more --phases than --pcr-private-key" \
  "$INTEGRAL" uki --stub="$stub257" --linux=linux --phases=enter-initrd -o x.efi
expect_exit 2 "a .pcrsig section and a signing key" "give one" \
  "$INTEGRAL" uki --stub="$stub257" --linux=linux --section=.pcrsig:x --pcr-private-key=a.pem -o x.efi
expect_exit 2 "signing without a kernel" "needs a kernel" \
  "$INTEGRAL" uki --stub="$stub257" --os-release=@osrel --pcr-private-key=a.pem -o x.efi
[[ ! -e x.efi ]] && ok "no output after a refusal" || bad "x.efi written after a refusal"
finish
