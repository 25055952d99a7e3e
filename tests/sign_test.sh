#!/usr/bin/env bash
# Signed reference values: `integral sign` over a build's bundle with a PEM key and with the same
# key in a PKCS#11 token (SoftHSM2, through OpenSSL's pkcs11 engine): RSA PKCS#1 v1.5 is
# deterministic, so both signature files are equal, and openssl verifies the signature over the
# bundle's bytes. `integral verify --bundle` accepts it, refuses it under --require-key of
# another key (the development key's bundle under the production key), refuses a bundle or a
# signature with one changed byte, and vouches for a boot's prediction file only as the bundle
# names it. `integral pcrsig` signs the same through the token as with the PEM file.
. "$(dirname "$0")/lib/common.sh"
for tool in softhsm2-util openssl jq base64; do
  command -v "$tool" >/dev/null || skip_all "$tool is not installed (scripts/deps/sign.list)"
done
MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
[[ -r $MODULE ]] || skip_all "no SoftHSM2 module at $MODULE"
cd "$WORK"

# A small build: one image, one boot measuring it.
mkdir -p src/tree/etc
printf 'signed\n' >src/tree/etc/motd
cat >src/build.toml <<'TOML'
[image.root]
tree = "tree"
type = "ext4"
size = "8M"
timestamp = 1700000000
[boot.host]
banks = ["sha256"]
[[boot.host.stage]]
type = "file"
pcr = 9
image = "root"
method = "tpm2-pcrextend"
TOML
"$INTEGRAL" build src/build.toml -o out --no-cache >/dev/null
b=out/reference-values.json
expect_equal "the bundle names the prediction file by its sha256" \
  "$(sha256sum out/boots/host.prediction.json | cut -c1-64)" "$(jq -r '.boots.host.prediction_sha256' $b)"

# The development key as a PEM file; the production key in a token (imported from PEM so the
# same key can sign both ways).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out dev.pem 2>/dev/null
openssl pkey -in dev.pem -pubout -out dev.pub
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out prod.pem 2>/dev/null
openssl pkey -in prod.pem -pubout -out prod.pub
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK" >softhsm2.conf
export SOFTHSM2_CONF=$WORK/softhsm2.conf
softhsm2-util --init-token --free --label integral --pin 1234 --so-pin 5678 >/dev/null
openssl pkcs8 -topk8 -nocrypt -in prod.pem -out prod.p8
softhsm2-util --import prod.p8 --token integral --label production --id 01 --pin 1234 >/dev/null
URI="pkcs11:token=integral;object=production;type=private?pin-value=1234&module-path=$MODULE"

"$INTEGRAL" sign $b --key dev.pem -o dev.sig
"$INTEGRAL" sign $b --key prod.pem -o prod-pem.sig
"$INTEGRAL" sign $b --key "$URI" -o prod.sig
cmp -s prod.sig prod-pem.sig && ok "the token's signature file equals the PEM key's (PKCS#1 v1.5)" ||
  bad "SoftHSM2 and the PEM file sign differently"
jq -r .signature prod.sig | base64 -d >prod.sig.bin
openssl dgst -sha256 -verify prod.pub -signature prod.sig.bin $b >/dev/null &&
  ok "openssl verifies the signature over the bundle's bytes" || bad "openssl does not verify it"
expect_equal "the signature names its key (sha256 of the SubjectPublicKeyInfo)" \
  "$(openssl pkey -pubin -in prod.pub -outform DER | sha256sum | cut -c1-64)" "$(jq -r .key.id prod.sig)"

expect_pass "verify --bundle: the token-signed bundle" "$INTEGRAL" verify --bundle $b --signature prod.sig
expect_pass "verify --bundle --require-key production: accepted" \
  "$INTEGRAL" verify --bundle $b --signature prod.sig --require-key prod.pub
expect_refusal "the development key's bundle under --require-key production" "not by a required key" \
  "$INTEGRAL" verify --bundle $b --signature dev.sig --require-key prod.pub
expect_pass "either of two required keys" \
  "$INTEGRAL" verify --bundle $b --signature dev.sig --require-key prod.pub --require-key dev.pub
sed '0,/integral-reference-values/s//integrAl-reference-values/' $b >changed.json
expect_equal "changed.json differs from the bundle in one byte" 1 "$(cmp -l $b changed.json | wc -l)"
expect_refusal "one changed byte in the bundle" "not the one signed" \
  "$INTEGRAL" verify --bundle changed.json --signature prod.sig
jq '.signature |= (if .[0:1] == "A" then "B" else "A" end) + .[1:]' prod.sig >forged.sig
expect_refusal "a changed signature" "does not verify" \
  "$INTEGRAL" verify --bundle $b --signature forged.sig
printf '{"format": "integral-bundle-signature", "version": 1}' >broken.sig
expect_bad_input "a signature file without its fields" "broken.sig" \
  "$INTEGRAL" verify --bundle $b --signature broken.sig

# The bundle vouches for the prediction `verify --expect` reads, and only as it named it.
cp prod.sig $b.sig
expect_pass "signed bundle, its prediction, the predicted PCRs" \
  "$INTEGRAL" verify --bundle $b --require-key prod.pub --expect out/boots/host.prediction.json \
  --pcrs out/boots/host.pcrs.yaml
expect_refusal "the same under the development key" "not by a required key" \
  "$INTEGRAL" verify --bundle $b --require-key dev.pub --expect out/boots/host.prediction.json \
  --pcrs out/boots/host.pcrs.yaml
jq '.source = "elsewhere"' out/boots/host.prediction.json >edited.json && cp edited.json out/boots/host.prediction.json
expect_refusal "a prediction edited after the bundle named it" "changed since the bundle named it" \
  "$INTEGRAL" verify --bundle $b --expect out/boots/host.prediction.json --pcrs out/boots/host.pcrs.yaml
expect_refusal "a prediction the bundle does not name" "names no boot" \
  "$INTEGRAL" verify --bundle $b --expect edited.json --pcrs out/boots/host.pcrs.yaml

# pcrsig through the token: byte-identical to the PEM key's.
printf 'banks = ["sha256"]\n[[stage]]\ntype = "digest"\npcr = 11\nsha256 = "%s"\n' \
  "$(printf x | sha256sum | cut -c1-64)" >boot.toml
"$INTEGRAL" pcrsig boot.toml --private-key prod.pem -o pem.pcrsig
"$INTEGRAL" pcrsig boot.toml --private-key "$URI" --public-key prod.pub -o token.pcrsig
cmp -s pem.pcrsig token.pcrsig && ok "pcrsig through the token = with the PEM file" || bad "pcrsig differs through the token"
expect_bad_input "a key the token does not hold" "no such private key" \
  "$INTEGRAL" sign $b --key "pkcs11:token=integral;object=missing;type=private?pin-value=1234&module-path=$MODULE" -o none.sig
[[ ! -e none.sig ]] && ok "nothing written for a missing key" || bad "none.sig written"
out=$("$INTEGRAL" sign $b --key "pkcs11:token=integral;object=missing;type=private?pin-value=1234&module-path=$MODULE" -o none.sig 2>&1) || true
grep -q 'pin-value=1234' <<<"$out" && bad "the PIN is printed: $out" || ok "the PIN is never printed"
finish
