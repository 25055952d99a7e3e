#!/usr/bin/env bash
# integral build on the service-VM example (examples/service-vms/): the images against their
# peers (sha256sum, qemu-img, e2fsck, veritysetup), every boot's values against `integral
# predict` of the same boot written by hand with the image's path, the cache (a no-change
# build does no image work and a changed file rebuilds one image, byte-identical to a clean
# build), the parallel build against a serial one, a broken description (exit 3, OUT as it was)
# and the provenance against git.
source "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uefi.sh"
src_dir=${INTEGRAL_SOURCE_DIR:?}
example="$src_dir/examples/service-vms"
for tool in qemu-img e2fsck veritysetup git python3 sha256sum sfdisk; do
  command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done
cd "$WORK"
[[ -r $EFI_STUB ]] || skip_all "no systemd-stub ($EFI_STUB; scripts/deps/example.list)"
standin_uki "$WORK/uki.efi"
standin_disk "$WORK/disk.img"
export UKI=$WORK/uki.efi
"$example/make-trees.sh" src
export INTEGRAL_CACHE_DIR="$WORK/cache"
# json FILE EXPR: a value of a JSON file (python3, an independent reader).
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
cached() { python3 -c 'import json,sys; print(" ".join(i["name"] for i in json.load(sys.stdin)["images"] if i["cached"]))'; }

"$INTEGRAL" build src/build.toml -o clean --no-cache >clean.txt
"$INTEGRAL" build src/build.toml -o out -j 1 --json >first.json
[[ -z $(cached <first.json) ]] && ok "first build: every image built" || bad "first build took images from an empty cache"
diff -r clean out >/dev/null && ok "serial build (-j 1) byte-identical to the parallel clean build" ||
  bad "serial and parallel builds differ"

# A checkout made under another umask (as a buildbot worker's): the manifest sets every mode,
# so the outputs are the same.
(umask 077 && cp -r src src077 && chmod -R go-rwx src077 &&
  "$INTEGRAL" build src077/build.toml -o out077 --no-cache >/dev/null)
diff -r clean out077 >/dev/null && ok "a tree checked out under umask 077 builds byte-identical outputs" ||
  bad "the host's umask leaks into the outputs"

# The images against their peers and the bundle.
b=out/reference-values.json
for vm in ndvm uivm syncvm; do
  f=out/images/$vm.vhd
  [[ $(sha256sum <"$f" | cut -c1-64) == $(json $b "d['images']['$vm']['sha256']") ]] &&
    ok "$vm: bundle sha256 = sha256sum of the VHD" || bad "$vm: VHD digest"
  [[ $(qemu-img info --output=json "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])') == vpc ]] &&
    ok "$vm: qemu-img reads a VHD (vpc)" || bad "$vm: qemu-img does not read a VHD"
  qemu-img convert -f vpc -O raw "$f" "$vm.raw"
  truncate -s "$(json $b "d['images']['$vm']['filesystem']['size']")" "$vm.raw"
  [[ $(sha256sum <"$vm.raw" | cut -c1-64) == $(json $b "d['images']['$vm']['filesystem']['digests']['sha256']") ]] &&
    ok "$vm: file system digest = sha256sum of qemu-img's raw conversion" || bad "$vm: file system digest"
  e2fsck -fn "$vm.raw" >/dev/null 2>&1 && ok "$vm: e2fsck clean" || bad "$vm: e2fsck"
  # The boot written by hand, measuring the raw image by path: integral predict must agree.
  printf 'banks = ["sha1", "sha256"]\n[[stage]]\ntype = "file"\npcr = 16\npath = "%s.raw"\nmethod = "tpm2-pcrextend"\nbanks = ["sha256"]\n' "$vm" >"$vm.toml"
  "$INTEGRAL" predict "$vm.toml" --json -o "$vm.pred.json"
  [[ $(json "$vm.pred.json" "d['pcrs']['sha256']['16']") == $(json $b "d['boots']['$vm']['pcrs']['sha256']['16']") ]] &&
    ok "$vm: bundle PCR 16 = integral predict of the raw image by path" || bad "$vm: predicted PCR 16 differs"
done
[[ $(sha256sum <out/images/dom0.img | cut -c1-64) == $(json $b "d['images']['dom0']['sha256']") ]] &&
  ok "dom0: bundle sha256 = sha256sum" || bad "dom0: digest"
root=$(json $b "d['images']['dom0']['verity']['root_hash']")
veritysetup verify out/images/dom0.img out/images/dom0.verity "$root" >/dev/null 2>&1 &&
  ok "dom0: veritysetup verifies the tree against the bundle's root hash" || bad "dom0: veritysetup verify"
# Each boot's pcrlock components, as `integral pcrlock` writes them from its prediction.
"$INTEGRAL" pcrlock out/boots/ndvm.prediction.json -o pcrlock-ndvm >/dev/null
diff -r pcrlock-ndvm out/boots/ndvm.pcrlock.d >/dev/null &&
  ok "ndvm: the build's pcrlock components = integral pcrlock of its prediction" || bad "ndvm: pcrlock components"
# meta-measured on TPM 1.2: sha1 of the 40 hex characters of sha1sum, extended into PCR 9 from zero.
hex=$(sha1sum <out/images/dom0.img | cut -c1-40)
ev=$(printf '%s' "$hex" | sha1sum | cut -c1-40)
pcr9=$(printf '%040d%s' 0 "$ev" | xxd -r -p | sha1sum | cut -c1-40)
[[ $(json $b "d['boots']['host']['pcrs']['sha1']['9']") == "$pcr9" ]] &&
  ok "host: PCR 9 = sha1(0^20 || sha1(hex(sha1sum dom0.img))), by hand" || bad "host: PCR 9"
python3 - "$b" <<'PY' && ok "host: PolicyPCR digest recomputed by hand" || bad "host: PolicyPCR digest"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))["boots"]["host"]
# TPM2_PolicyPCR: policy = H(0^32 || TPM_CC_PolicyPCR || TPML_PCR_SELECTION || H(PCR 9 value))
sel = bytes.fromhex("00000001" "0004" "03" "000200")  # one bank, sha1, 3 bytes, PCR 9 = bit 1 of byte 1
digest = hashlib.sha256(bytes.fromhex(d["pcrs"]["sha1"]["9"])).digest()
want = hashlib.sha256(bytes(32) + bytes.fromhex("0000017f") + sel + digest).hexdigest()
sys.exit(0 if d["policy"]["digest"] == want and d["policy"]["selection"] == "sha1:9" else 1)
PY

# The cache: nothing changed, no image work; outputs identical to the clean build.
"$INTEGRAL" build src/build.toml -o out --json >again.json
[[ $(cached <again.json) == "dom0 ndvm syncvm uivm" ]] && ok "no-change build: every image from the cache" ||
  bad "no-change build rebuilt: $(cat again.json)"
diff -r clean out >/dev/null && ok "cached build byte-identical to the clean build" || bad "cached build differs"
echo "no-change build took $(json again.json "d['seconds']") s"

# One file of one image changes: that image alone is rebuilt, and equals a clean build.
echo "uivm, changed" >src/trees/uivm/etc/hostname
"$INTEGRAL" build src/build.toml -o out --json >changed.json
[[ $(cached <changed.json) == "dom0 ndvm syncvm" ]] && ok "one changed file: only uivm rebuilt" ||
  bad "one changed file: cached $(cached <changed.json)"
"$INTEGRAL" build src/build.toml -o clean2 --no-cache >/dev/null
diff -r clean2 out >/dev/null && ok "incremental build byte-identical to a clean build" || bad "incremental build differs"
cmp -s clean/images/uivm.vhd out/images/uivm.vhd && bad "uivm's image did not change" || ok "uivm's image changed"

# A build fanned out: each image built alone into a cache of its own (as one worker's share),
# then a full build drawing on all of them writes no image, and equals the clean build.
mapfile -t names < <("$INTEGRAL" build src/build.toml --list-images)
[[ "${names[*]}" == "dom0 ndvm syncvm uivm" ]] && ok "--list-images: ${names[*]}" || bad "--list-images: ${names[*]}"
for n in "${names[@]}"; do
  "$INTEGRAL" build src/build.toml --image "$n" -o "share-$n" --cache-dir "cache-$n" >/dev/null
done
[[ $(ls share-uivm/images) == "uivm.vhd" && ! -e share-uivm/reference-values.json ]] &&
  ok "--image uivm: that image alone, no bundle" || bad "--image output: $(ls -R share-uivm)"
mkdir -p gathered/images
for n in "${names[@]}"; do cp -r "cache-$n"/images/* gathered/images/; done
"$INTEGRAL" build src/build.toml -o fanned --cache-dir gathered --json >fanned.json
[[ $(cached <fanned.json) == "dom0 ndvm syncvm uivm" ]] && ok "the gathering build takes every image from the shares" ||
  bad "the gathering build rebuilt: $(cached <fanned.json)"
"$INTEGRAL" build src/build.toml -o clean3 --no-cache >/dev/null
diff -r clean3 fanned >/dev/null && ok "the fanned-out build equals a clean build" || bad "fanned-out build differs"

# A broken description: exit 3 naming the file and line; OUT as it was, nothing staged beside it.
cp -r out before
printf '\n[image.broken]\ntree = "trees/uivm"\nsizee = "8M"\n' >>src/build.toml
rc=0
"$INTEGRAL" build src/build.toml -o out >err.txt 2>&1 || rc=$?
[[ $rc == 3 ]] && grep -q "build.toml: line .*unknown key 'sizee'" err.txt &&
  ok "broken description: exit 3 naming file, line and key" || { bad "broken description: exit $rc"; cat err.txt; }
diff -r before out >/dev/null && [[ -z $(find . -maxdepth 1 -name '.out.new-*') ]] &&
  ok "broken description: OUT as it was, no staging left" || bad "broken description changed OUT"
# A failure while building (an unreadable tree) leaves OUT as it was too.
"$example/make-trees.sh" src
rm -rf src/trees/ndvm
rc=0
"$INTEGRAL" build src/build.toml -o out >err.txt 2>&1 || rc=$?
[[ $rc != 0 ]] && diff -r before out >/dev/null && ok "failed image build: exit $rc, OUT as it was" ||
  bad "failed image build: exit $rc"
mkdir -p notours && echo precious >notours/file
rc=0
"$INTEGRAL" build "$example/build.toml" -o notours >err.txt 2>&1 || rc=$?
[[ $rc == 3 && $(cat notours/file) == precious ]] && ok "refuses to replace a folder that is not a build's output" ||
  bad "replaced a foreign folder (exit $rc)"

# Provenance: the description's git commit, and every input file's digest.
"$example/make-trees.sh" src
git -C src init -q && git -C src add -A && git -C src -c user.name=t -c user.email=t@t commit -qm build
"$INTEGRAL" build src/build.toml -o out >/dev/null
[[ $(json out/reference-values.json "d['provenance']['git']['commit']") == $(git -C src rev-parse HEAD) ]] &&
  [[ $(json out/reference-values.json "d['provenance']['git']['dirty']") == False ]] &&
  ok "provenance: the commit git names, clean" || bad "provenance: git commit"
[[ $(json out/reference-values.json "[i['sha256'] for i in d['provenance']['inputs'] if i['path']=='file_contexts'][0]") == \
   $(sha256sum <src/file_contexts | cut -c1-64) ]] && ok "provenance: file_contexts digest = sha256sum" ||
  bad "provenance: input digest"
finish
