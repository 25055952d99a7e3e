#!/usr/bin/env bash
# The outputs of `integral mkfs` (image, --verity tree, --measure digests, --vhd) appear as one
# set: when any of them cannot be written, none is left behind (nor a temporary), and files
# already at those paths keep their old bytes. The image is fsync'd before its rename (strace
# shows the order).
. "$(dirname "$0")/lib/common.sh"
export SOURCE_DATE_EPOCH=1700000000

T=$WORK/tree
mkdir -p "$T/etc" "$T/bin"
prng_bytes outputs-a 200000 >"$T/bin/tool"
echo "set" >"$T/etc/name"
T2=$WORK/tree2
cp -a "$T" "$T2"
echo "other" >"$T2/etc/name"

# AtomicFile's temporaries are "." + name + ".XXXXXX" beside the destination.
temps() { find "$1" -maxdepth 1 -name '.*.??????' -printf '%f '; }
# expect_none LABEL DIR [NAME...]: DIR holds exactly these entries (sorted), no new output and
# no temporary
expect_none() {
  local label=$1 dir=$2
  shift 2
  local left
  left=$(find "$dir" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | xargs)
  [[ "$left" == "$*" ]] && ok "$label: nothing left but '$*'" || bad "$label: left '$left' (expected '$*')"
}

# ---- a later output fails: nothing of the set is left ----
# digests JSON in a directory that does not exist (the digests are made after the image)
D=$WORK/c1 && mkdir "$D"
if $INTEGRAL mkfs --tree "$T" -o "$D/img" --verity "$D/img.hash" --measure sha256 \
  --measure-output "$D/missing/d.json" >/dev/null 2>"$D.err"; then
  bad "unwritable digests path: mkfs succeeded"
else
  ok "unwritable digests path: mkfs fails ($(head -c 120 "$D.err"))"
fi
expect_none "unwritable digests path" "$D"

# digests path is a directory
D=$WORK/c2 && mkdir -p "$D/d.json"
$INTEGRAL mkfs --tree "$T" -o "$D/img" --measure sha1 --measure-output "$D/d.json" >/dev/null 2>&1 &&
  bad "digests path a directory: mkfs succeeded" || ok "digests path a directory: mkfs fails"
expect_none "digests path a directory" "$D" "d.json"
[[ -z "$(ls -A "$D/d.json")" ]] && ok "digests path a directory: the directory is untouched" ||
  bad "digests path a directory: written into it"

# verity path is a directory (the tree is written while the image is)
D=$WORK/c3 && mkdir -p "$D/img.hash"
$INTEGRAL mkfs --tree "$T" -o "$D/img" --verity "$D/img.hash" --measure sha256 >/dev/null 2>&1 &&
  bad "verity path a directory: mkfs succeeded" || ok "verity path a directory: mkfs fails"
expect_none "verity path a directory" "$D" "img.hash"

# verity path in a directory that does not exist
D=$WORK/c4 && mkdir "$D"
$INTEGRAL mkfs --tree "$T" -o "$D/img" --verity "$D/missing/img.hash" >/dev/null 2>&1 &&
  bad "verity path missing directory: mkfs succeeded" || ok "verity path missing directory: mkfs fails"
expect_none "verity path missing directory" "$D"

# VHD path is a directory (the VHD is made last, from the raw image)
D=$WORK/c5 && mkdir -p "$D/out.vhd"
$INTEGRAL mkfs --tree "$T" --vhd dynamic -o "$D/out.vhd" --verity "$D/out.hash" --measure sha256 \
  --measure-output "$D/out.json" >/dev/null 2>&1 &&
  bad "VHD path a directory: mkfs succeeded" || ok "VHD path a directory: mkfs fails"
expect_none "VHD path a directory" "$D" "out.vhd"

# Two outputs on one path (the tree would replace the image): refused, nothing written.
D=$WORK/c7 && mkdir "$D"
rc=0
$INTEGRAL mkfs --tree "$T" -o "$D/img" --verity "$D/./img" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] && ok "verity path = image path: refused (exit 2)" || bad "verity path = image path: exit $rc"
expect_none "verity path = image path" "$D"

# An earlier complete set stays as it was when a rebuild fails at its last output.
D=$WORK/c6 && mkdir "$D"
$INTEGRAL mkfs --tree "$T" -o "$D/img" --verity "$D/img.hash" --measure sha256 >/dev/null
mkdir "$WORK/c6.old" && cp -a "$D/img" "$D/img.hash" "$D/img.digests.json" "$WORK/c6.old/"
$INTEGRAL mkfs --tree "$T2" -o "$D/img" --verity "$D/img.hash" --measure sha256 \
  --measure-output "$D/missing/d.json" >/dev/null 2>&1 &&
  bad "failed rebuild: mkfs succeeded" || ok "failed rebuild: mkfs fails"
for f in img img.hash img.digests.json; do
  cmp -s "$D/$f" "$WORK/c6.old/$f" && ok "failed rebuild: $f keeps its old bytes" || bad "failed rebuild: $f replaced"
done
expect_none "failed rebuild" "$D" "img img.digests.json img.hash"

# ---- the normal path: every output, no temporary ----
D=$WORK/ok && mkdir "$D"
if $INTEGRAL mkfs --tree "$T" --vhd fixed -o "$D/out.vhd" --verity "$D/out.hash" --measure sha256 >/dev/null; then
  ok "all outputs: mkfs succeeds"
else
  bad "all outputs: mkfs failed"
fi
expect_none "all outputs" "$D" "out.hash out.vhd out.vhd.digests.json"
$INTEGRAL mkfs --tree "$T" -o "$D/raw" --verity "$D/raw.hash" --measure sha256 >/dev/null
# The VHD's raw bytes are the image the digests and the tree describe (qemu-img reads them).
qemu-img convert -f vpc -O raw "$D/out.vhd" "$D/vhd.raw" &&
  cmp -s "$D/vhd.raw" "$D/raw" && cmp -s "$D/out.hash" "$D/raw.hash" &&
  ok "all outputs: VHD content, tree equal the raw build's" || bad "all outputs: VHD/raw differ"
[[ "$(jq -r .sha256 "$D/out.vhd.digests.json")" == "$(sha256sum <"$D/raw" | cut -d' ' -f1)" ]] &&
  ok "all outputs: digests describe the raw image" || bad "all outputs: digests"

# ---- the image is fsync'd before it is renamed into place ----
D=$WORK/sync && mkdir "$D"
if strace -f -y -qq -e trace=fsync,fdatasync,rename,renameat,renameat2 -o "$D.trace" \
  $INTEGRAL mkfs --tree "$T" -o "$D/img" >/dev/null 2>&1; then
  # -y names each fd's file: fsync(3</…/.img.AbC123>); the rename names the temporary.
  tmp=$(grep -oE 'rename[a-z0-9]*\(.*"[^"]*/\.img\.[A-Za-z0-9]{6}"' "$D.trace" | grep -oE '\.img\.[A-Za-z0-9]{6}' | head -1 || true)
  sync_line=$(grep -nE "f(data)?sync\([0-9]+<[^>]*/${tmp:-none}>" "$D.trace" | head -1 | cut -d: -f1 || true)
  rename_line=$(grep -nE "rename[a-z0-9]*\(.*${tmp:-none}\"" "$D.trace" | head -1 | cut -d: -f1 || true)
  if [[ -n "$tmp" && -n "$sync_line" && -n "$rename_line" && $sync_line -lt $rename_line ]]; then
    ok "image: fsync (line $sync_line) before rename (line $rename_line) of $tmp"
  else
    bad "image: no fsync of the temporary '$tmp' before its rename: $(grep -E 'sync|rename' "$D.trace" | head -5)"
  fi
else
  echo "strace cannot trace here: the fsync order is not checked" >&2
fi

finish
