#!/usr/bin/env bash
# The whole path, for real: a push to a git remote on this machine → `integral poll --once` →
# a buildbot master configured by contrib/buildbot/ (Debian's buildbot 3.7, 127.0.0.1 only) →
# its images fan out as build requests of their own, which the two buildbot workers take, and
# one worker gathers them with `integral build` (writing no image again) → the
# master holds a successful build, its properties carry the bundle's headline values, and the
# uploaded bundle's image digests equal sha256sum of the uploaded images and everything equals
# a local `integral build` of the same commit, and it is signed with the configured key. A push that breaks the description gives a
# failed build with integral's message in its log, and no bundle.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/buildbot.sh"

# --- the master from contrib/buildbot/, two workers, the service-VM repository; bundles signed
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/release.pem" 2>/dev/null
openssl pkey -in "$WORK/release.pem" -pubout -out "$WORK/release.pub"
SIGN_KEY=$WORK/release.pem
integral_buildbot "$INTEGRAL"
echo "uivm, release 2" >trees/uivm/etc/hostname
git commit -qam "uivm: release 2" && git push -q origin main
good=$(git rev-parse HEAD)
poll && ok "poll delivered the push to the master" || bad "poll failed"

wait_build "$good" || bad "no finished build of $good"
read -r result worker <<<"$(build_of "$good")"
[[ $result == 0 ]] && ok "the build of the push succeeded (on worker $worker)" || { bad "build result: $result"; build_logs "$good" | tail -40; }

# The fan-out: one build request per image, each built; the gathering build wrote no image.
shares=$(builds_of "$good" | awk '$1 == 0 && $3 == "integral-image"' | wc -l)
((shares == 4)) && ok "4 images built as 4 build requests of their own (on $(builds_of "$good" | awk '$3 == "integral-image" { print $2 }' | sort -u | tr '\n' ' '))" ||
  bad "image build requests: $shares"
n=$(build_logs "$good" | grep -c "from the cache (") || true
((n == 4)) && ok "the gathering integral build took all 4 images from the shares" || bad "gathering build: $n images from the cache"

bundle=$WORK/master/bundles/$good
[[ -f $bundle/reference-values.json ]] && ok "the master holds the uploaded bundle" || bad "no bundle at $bundle"
python3 - "$bundle" <<'PY' && ok "bundle digests = sha256sum of every uploaded image and verity tree" || bad "uploaded digests"
import hashlib, json, sys
out = sys.argv[1]
b = json.load(open(out + "/reference-values.json"))
for name, img in b["images"].items():
    files = [img] + ([img["verity"]] if "verity" in img else [])
    for f in files:
        if hashlib.sha256(open(out + "/" + f["file"], "rb").read()).hexdigest() != f["sha256"]:
            sys.exit(1)
sys.exit(0 if b["images"] else 1)
PY
expect_pass "the uploaded bundle is signed with the release key" \
  "$INTEGRAL" verify --bundle "$bundle/reference-values.json" --require-key "$WORK/release.pub"
# The same commit built here: the worker's outputs must be byte-identical (the signature aside).
git clone -q "$WORK/up.git" "$WORK/local" && git -C "$WORK/local" checkout -q "$good"
INTEGRAL_CACHE_DIR=$WORK/local-cache "$INTEGRAL" build "$WORK/local/build.toml" -o "$WORK/local-out" >/dev/null
diff -r -x reference-values.json.sig "$WORK/local-out" "$bundle" >"$WORK/diff.txt" 2>&1 && ok "the worker's outputs equal a local integral build of the commit, byte for byte" ||
  { bad "worker and local builds differ"; head -20 "$WORK/diff.txt"; }
[[ $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["provenance"]["git"]["commit"])' "$bundle/reference-values.json") == "$good" ]] &&
  ok "the bundle's provenance names the pushed commit" || bad "provenance commit"
# Properties: the headline values, as the bundle has them.
prop() {
  "$PY" - "$WORK/master/state.sqlite" "$good" "$1" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = """select p.value from build_properties p join builds b on p.buildid = b.id
       join buildrequests r on b.buildrequestid = r.id
       join buildset_sourcestamps bs on r.buildsetid = bs.buildsetid
       join sourcestamps s on bs.sourcestampid = s.id where s.revision = ? and p.name = ?"""
for (v,) in db.execute(q, (sys.argv[2], sys.argv[3])):
    print(json.loads(v))
PY
}
want16=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["boots"]["uivm"]["pcrs"]["sha256"]["16"])' "$bundle/reference-values.json")
[[ -n $want16 && $(prop boot_uivm_pcr16_sha256) == "$want16" ]] && ok "build property boot_uivm_pcr16_sha256 = the bundle's PCR 16" ||
  bad "property boot_uivm_pcr16_sha256: '$(prop boot_uivm_pcr16_sha256)'"
[[ $(prop bundle_sha256) == $(sha256sum <"$bundle/reference-values.json" | cut -c1-64) ]] &&
  ok "build property bundle_sha256 = sha256sum of the uploaded bundle" || bad "property bundle_sha256"

# --- a push that breaks the description: a failed build, the message in its log, no bundle
printf '\n[image.broken]\ntree = "trees/uivm"\nsizee = "8M"\n' >>build.toml
git commit -qam "a typo" && git push -q origin main
broken=$(git rev-parse HEAD)
poll || bad "poll of the broken push"
wait_build "$broken" || bad "no finished build of $broken"
read -r result worker <<<"$(build_of "$broken")"
[[ $result == 2 ]] && ok "the broken description's build failed (FAILURE, on $worker)" || bad "broken build result: $result"
[[ ! -e $WORK/master/bundles/$broken ]] && ok "no bundle published for the failed build" || bad "a bundle of the failed build"
"$PY" - "$WORK/master/state.sqlite" <<'PY' && ok "the build log holds integral's message naming file, line and key" || bad "message not in the log"
import sqlite3, sys, zlib
db = sqlite3.connect(sys.argv[1])
for content, compressed in db.execute("select content, compressed from logchunks"):
    text = zlib.decompress(content, 47) if compressed == 1 else content
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if "build.toml: line" in text and "unknown key 'sizee'" in text:
        sys.exit(0)
sys.exit(1)
PY
finish
