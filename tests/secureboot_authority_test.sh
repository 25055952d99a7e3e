#!/usr/bin/env bash
# Secure Boot authority events (PCR 7, EV_EFI_VARIABLE_AUTHORITY): an image signed with sbsign,
# a db built here as an EFI_SIGNATURE_LIST; the stage must name the db entry sbverify accepts,
# and the event digest must equal SHA-256 of UEFI_VARIABLE_DATA("db", owner GUID + certificate)
# assembled by hand in this script. Entries that do not verify (another certificate, a changed
# byte in the image) must be refused by both sbverify and integral.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uefi.sh"

cd "$WORK"
for n in a b; do
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.pem" -days 1 \
    -subj "/CN=integral test $n" 2>/dev/null
  openssl x509 -in "$n.pem" -outform DER -out "$n.der"
done
sbsign --key a.key --cert a.pem --output signed.efi "$EFI_STUB" 2>/dev/null

le32() { printf '%08x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/'; }
le64() { printf '%016x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)/\8\7\6\5\4\3\2\1/'; }
x509_guid=a159c0a5e494a74a87b5ab155c2bf072      # a5c059a1-94e4-4aa7-87b5-ab155c2bf072, on disk
db_guid=cbb219d73a3d9645a3bcdad00e67656f        # d719b2cb-3d3a-4596-a3bc-dad00e67656f, on disk
owner=00112233445566778899aabbccddeeff
esl_hex() { # DER-FILE: one EFI_SIGNATURE_LIST with one X.509 entry owned by $owner
  local len
  len=$(stat -c %s "$1")
  echo "$x509_guid$(le32 $((28 + 16 + len)))$(le32 0)$(le32 $((16 + len)))$owner$(xxd -p "$1" | tr -d '\n')"
}
esl_hex b.der | xxd -r -p >db-b.esl
{ esl_hex b.der; esl_hex a.der; } | xxd -r -p >db-ba.esl

stage() { # DB [IMAGE]
  printf 'banks = ["sha256"]\n[[stage]]\ntype = "secureboot"\nsecure_boot = true\npolicy = false\ndb = "%s"\nauthorities = ["%s", "%s"]\n' \
    "$1" "${2:-signed.efi}" "${2:-signed.efi}" >boot.toml
}

# The peer: sbverify accepts the signature with certificate a, not with b.
sbverify --cert a.pem signed.efi >/dev/null 2>&1 && ok "sbverify: a verifies signed.efi" ||
  bad "sbverify rejects a"
sbverify --cert b.pem signed.efi >/dev/null 2>&1 && bad "sbverify accepts b" ||
  ok "sbverify: b does not verify signed.efi"

# db = [b, a]: the authority is a's entry, measured once although the image is loaded twice.
stage db-ba.esl
"$INTEGRAL" predict boot.toml --json -o pred.json
want=$(printf '%s%s%s%s%s%s' "$db_guid" "$(le64 2)" "$(le64 $((16 + $(stat -c %s a.der))))" \
  64006200 "$owner" "$(xxd -p a.der | tr -d '\n')" | xxd -r -p | sha256sum | cut -d' ' -f1)
got=$(jq -r '[.events[] | select(.type == "EV_EFI_VARIABLE_AUTHORITY")] | map(.digests.sha256) | join(" ")' pred.json)
[[ $got == "$want" ]] && ok "authority event = H(UEFI_VARIABLE_DATA db, owner+cert a): $got" ||
  bad "authority: got '$got', want $want"

# db = [b]: nothing admits the image.
stage db-b.esl
if "$INTEGRAL" predict boot.toml >out.txt 2>&1; then bad "db without a accepted"; else
  rc=$?
  [[ $rc -eq 3 ]] && grep -q "no db entry" out.txt && ok "db without a: exit 3, $(head -c 120 out.txt)" ||
    bad "db without a: rc=$rc $(cat out.txt)"
fi

# One changed byte in the signed image: its Authenticode digest no longer matches the signature.
cp signed.efi tampered.efi
printf 'X' | dd of=tampered.efi bs=1 seek=4096 conv=notrunc status=none
sbverify --cert a.pem tampered.efi >/dev/null 2>&1 && bad "sbverify accepts tampered" ||
  ok "sbverify rejects the tampered image"
stage db-ba.esl tampered.efi
if "$INTEGRAL" predict boot.toml >out.txt 2>&1; then bad "tampered image admitted"; else
  grep -q "no db entry" out.txt && ok "tampered image: refused" || bad "tampered: $(cat out.txt)"
fi

# An unsigned image is admitted only by a db SHA-256 entry equal to its Authenticode digest.
h=$("$INTEGRAL" pe hash "$EFI_STUB" --alg sha256 | awk '{ print $2 }')
sha_guid=2616c4c14c509240aca941f936934328       # c1c41626-504c-4092-aca9-41f936934328
echo "$sha_guid$(le32 $((28 + 48)))$(le32 0)$(le32 48)$owner$h" | xxd -r -p >db-hash.esl
stage db-hash.esl "$EFI_STUB"
"$INTEGRAL" predict boot.toml --json -o pred.json
want=$(printf '%s%s%s%s%s%s' "$db_guid" "$(le64 2)" "$(le64 48)" 64006200 "$owner" "$h" |
  xxd -r -p | sha256sum | cut -d' ' -f1)
got=$(jq -r '[.events[] | select(.type == "EV_EFI_VARIABLE_AUTHORITY")] | map(.digests.sha256) | join(" ")' pred.json)
[[ $got == "$want" ]] && ok "hash entry authority: $got" || bad "hash entry: got '$got', want $want"
finish
