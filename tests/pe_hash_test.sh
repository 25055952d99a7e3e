#!/usr/bin/env bash
# `integral pe hash` against pesign -h (Debian pesign) for Debian's systemd stub and
# systemd-boot, for an objcopy-built UKI (unsigned, odd length) and for the same UKI signed with
# sbsign; and bad images give exit 3 naming the file and offset.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uefi.sh"

cd "$WORK"
pesign_hash() { # FILE ALG
  pesign -h -d "$2" -i "$1" | sed -n 's/^hash: //p'
}
ours() { # FILE ALG [--pad]
  "$INTEGRAL" pe hash "$1" --alg "$2" ${3:-} | awk '{ print $2 }'
}
check() { # LABEL FILE [--pad-for-ours]
  local alg want got
  for alg in sha1 sha256; do
    want=$(pesign_hash "$2" "$alg")
    got=$(ours "$2" "$alg" "${3:-}")
    if [[ -n $want && $want == "$got" ]]; then ok "$1 $alg $got"; else bad "$1 $alg pesign=$want integral=$got"; fi
  done
}

check "debian systemd stub" "$EFI_STUB"
check "debian systemd-boot" "$SD_BOOT"

# An unsigned UKI whose length is not a multiple of 8.
prng_bytes linux 300001 >linux
printf 'ID=test\n' >osrel
printf 'root=/dev/vda quiet' >cmdline
prng_bytes initrd 4097 >initrd
make_uki uki.efi linux osrel cmdline initrd
len=$(stat -c %s uki.efi)
echo "uki.efi: $len bytes (mod 8 = $((len % 8)))"
check "unsigned uki" uki.efi

# Signed with sbsign: sbsign pads to 8 bytes, so the signed hash equals the unsigned one padded.
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
  -subj "/CN=integral test" 2>/dev/null
sbsign --key key.pem --cert cert.pem --output signed.efi uki.efi 2>/dev/null
check "sbsigned uki" signed.efi
a=$(ours signed.efi sha256)
b=$(ours uki.efi sha256 --pad)
if [[ $a == "$b" ]]; then ok "signed = unsigned --pad ($a)"; else bad "signed $a, unsigned --pad $b"; fi
# Unsigned and odd length: --pad must differ from the file as is (the padding is hashed).
if [[ $((len % 8)) -ne 0 && $(ours uki.efi sha256) != "$b" ]]; then ok "padding is hashed"; else bad "padding"; fi
# sbsign on the stub itself (an odd-length Debian binary)
sbsign --key key.pem --cert cert.pem --output stub-signed.efi "$EFI_STUB" 2>/dev/null
check "sbsigned stub" stub-signed.efi

# Bad images: exit 3, one line naming the file and the offset.
head -c 100 "$EFI_STUB" >short.efi
cp "$EFI_STUB" badsec.efi
pe=$(od -An -tu4 -j 60 -N4 badsec.efi | tr -d ' ')
optsz=$(od -An -tu2 -j $((pe + 20)) -N2 badsec.efi | tr -d ' ')
sect=$((pe + 24 + optsz))
printf '\377\377\377\177' | dd of=badsec.efi bs=1 seek=$((sect + 20)) conv=notrunc status=none
for f in short.efi badsec.efi; do
  set +e
  "$INTEGRAL" pe hash "$f" >out.txt 2>err.txt
  rc=$?
  set -e
  if [[ $rc -eq 3 && $(wc -l <err.txt) -eq 1 && ! -s out.txt ]] && grep -q "$f.*offset" err.txt; then
    ok "$f -> 3: $(cat err.txt)"
  else
    bad "$f -> $rc: $(cat err.txt)"
  fi
done
finish
