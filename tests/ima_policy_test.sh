#!/usr/bin/env bash
# IMA runtime policies from images: `integral mkfs --ima-policy` lists the SHA-256 of every
# regular file (hard links under each name, empty and sparse files) as sha256sum computes it,
# in keylime's runtime policy layout (the fields and types keylime's schema requires); and
# `integral verify --log IMA-LIST --ima-policy` accepts a list of the image's files as they
# are, names a file whose content changed and a file the image never held, skips what the
# policy excludes, and reads ASCII lists as binary ones.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"
export SOURCE_DATE_EPOCH=1700000000
mkdir -p tree/bin tree/etc tree/usr/lib
printf 'welcome\n' >tree/etc/motd
prng_bytes ima-tool 300000 >tree/bin/tool && chmod 755 tree/bin/tool
ln tree/bin/tool tree/bin/tool-link
: >tree/etc/empty
truncate -s 3M tree/usr/lib/sparse.bin && printf 'data' | dd of=tree/usr/lib/sparse.bin bs=1 seek=2000000 conv=notrunc 2>/dev/null
ln -s ../bin/tool tree/usr/lib/tool-symlink
"$INTEGRAL" mkfs --tree tree -o root.img --ima-policy policy.json >/dev/null

python3 - <<'PY' && ok "every regular file's policy digest = sha256sum, under its path in the image" || bad "policy digests"
import hashlib, json, os, sys
d = json.load(open("policy.json"))["digests"]
want = {}
for root, _, files in os.walk("tree"):
    for f in files:
        p = os.path.join(root, f)
        if os.path.islink(p):
            continue
        want["/" + os.path.relpath(p, "tree")] = [hashlib.sha256(open(p, "rb").read()).hexdigest()]
if d != want:
    print(sorted(set(d) ^ set(want)), file=sys.stderr)
    sys.exit(1)
PY
# keylime's RUNTIME_POLICY_SCHEMA (keylime/ima/ima.py): the required members and their types.
python3 - <<'PY' && ok "the policy has keylime's required members and types" || bad "keylime layout"
import json, sys
p = json.load(open("policy.json"))
checks = [isinstance(p["meta"]["version"], int), isinstance(p["meta"]["generator"], int),
          isinstance(p["release"], int), isinstance(p["digests"], dict),
          all(isinstance(v, list) and all(isinstance(h, str) for h in v) for v in p["digests"].values()),
          isinstance(p["excludes"], list), isinstance(p["keyrings"], dict),
          isinstance(p["ima"]["ignored_keyrings"], list), isinstance(p["ima"]["log_hash_alg"], str),
          p["ima"]["dm_policy"] is None, isinstance(p["ima-buf"], dict),
          isinstance(p["verification-keys"], str)]
sys.exit(0 if all(checks) else 1)
PY

# ima_list OUT.bin OUT.ascii NAME=FILE...: an ima-ng list as the kernel writes it (binary and
# ASCII), boot_aggregate first, then each NAME with the SHA-256 of FILE's content.
ima_list() {
  python3 - "$@" <<'PY'
import hashlib, struct, sys
binf, asciif, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
entries = [("boot_aggregate", b"\0" * 32)]
for pair in pairs:
    name, path = pair.split("=", 1)
    entries.append((name, hashlib.sha256(open(path, "rb").read()).digest()))
out, lines = b"", []
for name, digest in entries:
    d = b"sha256:\0" + digest
    n = name.encode() + b"\0"
    data = struct.pack("<I", len(d)) + d + struct.pack("<I", len(n)) + n
    th = hashlib.sha1(data).digest()
    out += struct.pack("<I", 10) + th + struct.pack("<I", 6) + b"ima-ng" + struct.pack("<I", len(data)) + data
    lines.append("10 %s ima-ng sha256:%s %s\n" % (th.hex(), digest.hex(), name))
open(binf, "wb").write(out)
open(asciif, "w").write("".join(lines))
PY
}
ima_list good.bin good.ascii /bin/tool=tree/bin/tool /bin/tool-link=tree/bin/tool /etc/motd=tree/etc/motd \
  /etc/empty=tree/etc/empty /usr/lib/sparse.bin=tree/usr/lib/sparse.bin
for form in bin ascii; do
  expect_pass "the image's files as built ($form list)" "$INTEGRAL" verify --log good.$form --ima-policy policy.json
done
printf 'welcome, changed\n' >changed-motd
printf 'not in the image\n' >stranger
ima_list bad.bin bad.ascii /bin/tool=tree/bin/tool /etc/motd=changed-motd /tmp/stranger=stranger
expect_refusal "a file changed after the build is named" "/etc/motd (content differs from the policy)" \
  "$INTEGRAL" verify --log bad.bin --ima-policy policy.json
expect_refusal "a file the image never held is named" "/tmp/stranger (not in the policy)" \
  "$INTEGRAL" verify --log bad.ascii --ima-policy policy.json
jq '.excludes = ["/tmp/"]' policy.json >excl.json
expect_refusal "excludes skip /tmp, the changed file still fails" "1 of 2 measured files" \
  "$INTEGRAL" verify --log bad.bin --ima-policy excl.json
"$INTEGRAL" verify --log bad.bin --ima-policy policy.json --json >bad.json || true
expect_equal "--json names both" "/etc/motd /tmp/stranger" "$(jq -r '[.findings[].name] | join(" ")' bad.json)"
printf '{"digests": []}' >broken.json
expect_bad_input "a policy that is not one" "broken.json" "$INTEGRAL" verify --log good.bin --ima-policy broken.json
finish
