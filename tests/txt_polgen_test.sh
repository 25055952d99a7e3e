#!/usr/bin/env bash
# Module measurements and tboot policies against tb_polgen (Debian package tboot):
# integral txt module-hash equals the hash tb_polgen puts into a policy for the same module and
# command line; integral txt policy decodes tb_polgen's files and its policy event digest equals
# one composed by hand with openssl.
. "$(dirname "$0")/lib/common.sh"

PATH=$PATH:/usr/sbin:/sbin
if ! command -v tb_polgen >/dev/null; then
  bad "tb_polgen missing (scripts/deps/txt.list installs package tboot)"
  finish
  exit 1
fi
cd "$WORK"
prng_bytes kernel 300000 >vmlinuz
prng_bytes initrd 1000 >initrd
: >empty

polgen_hash() {  # ALG CMDLINE FILE -> the hash tb_polgen stores
  rm -f p.pol
  tb_polgen --create --type nonfatal --alg "$1" p.pol >/dev/null
  tb_polgen --add --num 0 --pcr 18 --hash image --cmdline "$2" --image "$3" p.pol >/dev/null
  tb_polgen --show p.pol | sed -n 's/.*hashes\[0\]: //p' | tr -d ' '
}

for alg in sha1 sha256 sha384 sha512; do
  for f in vmlinuz initrd empty; do
    for c in "" "root=/dev/sda1 ro quiet" "/vmlinuz-6.1 root=UUID=c49f6e29 ro intel_iommu=on"; do
      expect_equal "$alg $f '$c'" "$(polgen_hash "$alg" "$c" "$f")" \
        "$("$INTEGRAL" txt module-hash "$f" --cmdline "$c" --alg "$alg")"
    done
  done
done

# A policy with several entries; decode and policy event digest.
rm -f q.pol
tb_polgen --create --type halt --alg sha256 --ctrl 1 q.pol >/dev/null
tb_polgen --add --num 0 --pcr 18 --hash image --cmdline "ro" --image vmlinuz q.pol >/dev/null
tb_polgen --add --num 1 --pcr 19 --hash image --cmdline "" --image initrd q.pol >/dev/null
tb_polgen --add --num any --pcr none --hash any q.pol >/dev/null
"$INTEGRAL" txt policy q.pol --alg sha1,sha256 --json >q.json
entries=$(grep -c '"mod_num"' q.json)
[[ $entries -eq 3 ]] && ok "3 entries decoded" || bad "entries: $entries"
grep -q '"pcr": "none"' q.json && grep -q '"mod_num": "any"' q.json && ok "any/none decoded" ||
  bad "any/none"
h18=$(polgen_hash sha256 "ro" vmlinuz)
grep -q "$h18" q.json && ok "entry hash carried" || bad "entry hash"
# Policy event: H_bank(LE32(ctrl) || SHA256(policy file)), composed with openssl.
inner=$(openssl dgst -sha256 -binary q.pol | xxd -p -c 64)
for bank in sha1 sha256; do
  want=$(printf '01000000%s' "$inner" | xxd -r -p | openssl dgst -"$bank" -r | cut -d' ' -f1)
  grep -q "\"$bank\": \"$want\"" q.json && ok "policy event $bank" ||
    bad "policy event $bank (want $want)"
done
# Truncated policy: exit 3 with an offset.
head -c 20 q.pol >cut.pol
expect_bad_input "truncated policy" "cut.pol: offset 0x" "$INTEGRAL" txt policy cut.pol
finish
