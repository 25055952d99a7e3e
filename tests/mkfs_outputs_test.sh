#!/usr/bin/env bash
# The outputs of `integral mkfs` (image, --verity tree, --measure digests, --vhd) appear as one
# set: when any of them cannot be written, none is left behind (nor a temporary), and files
# already at those paths keep their old bytes. The image is fsync'd before its rename (strace
# shows the order). `integral verity --hash-offset` refuses, before writing a byte, an offset
# that would overwrite the data it hashes or that dm-verity cannot address, and inputs that
# are not regular files; veritysetup is the peer for what is accepted and what is refused.
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
# LeakSanitizer (the sanitizer build) stops the world with ptrace, which a traced process cannot
if ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  strace -f -y -qq -e trace=fsync,fdatasync,rename,renameat,renameat2 -o "$D.trace" \
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
  skip "the image's fsync before its rename: strace cannot trace here"
fi

# ---- integral verity --hash-offset: what it writes into, and what it refuses ----
SALT=5a17
V=$WORK/v && mkdir "$V"
prng_bytes verity-data 1048576 >"$V/data"
size=1048576
# Accepted: a gap after the data (veritysetup is the peer; its --data-blocks says where the
# data ends, as the image's size does for integral).
off=$((size + 8192))
cp "$V/data" "$V/ours" && cp "$V/data" "$V/ref"
out=$($INTEGRAL verity "$V/ours" --hash-offset $off --salt $SALT)
ref=$(veritysetup format --salt=$SALT --data-blocks=$((size / 4096)) \
  --hash-offset=$off "$V/ref" "$V/ref" | sed -n 's/^Root hash:[[:space:]]*//p')
[[ -n "$ref" && "$out" == *"root hash: $ref"* ]] && ok "verity at offset size+8192: root = veritysetup's" ||
  bad "verity at offset: $out vs $ref"
cmp -s <(head -c $size "$V/ours") "$V/data" && ok "verity at offset: the data is unchanged" || bad "verity at offset: data changed"
veritysetup verify --hash-offset=$off --data-blocks=$((size / 4096)) "$V/ours" "$V/ours" "$ref" >/dev/null 2>&1 &&
  ok "verity at offset: veritysetup verify accepts the appended tree" || bad "verity at offset: veritysetup verify"

# refuse CASE OFFSET MESSAGE-PART [FILE]: exit 3, the message names the file and the offset,
# and the file is byte-for-byte unchanged.
refuse() {
  local label=$1 o=$2 want=$3 f=${4:-$V/victim}
  cp "$V/data" "$V/victim"
  local rc=0
  $INTEGRAL verity "$f" --hash-offset "$o" --salt $SALT >/dev/null 2>"$V/err" || rc=$?
  local err
  err=$(cat "$V/err")
  [[ $rc -eq 3 ]] && ok "$label: exit 3" || bad "$label: exit $rc ($err)"
  [[ "$err" == *"$f"* && "$err" == *"$want"* ]] && ok "$label: says '$want' for $f" || bad "$label: message '$err'"
  cmp -s "$V/victim" "$V/data" && ok "$label: file unchanged" || bad "$label: file changed"
}
refuse "offset below the data's end" $((size - 4096)) "offset $(printf '%#x' $((size - 4096)))"
refuse "offset 0" 0 "below the end of the data"
cp "$V/data" "$V/peer"
veritysetup format --hash-offset=$((size - 4096)) "$V/peer" "$V/peer" >/dev/null 2>&1 &&
  bad "veritysetup accepts an overlapping offset?" || ok "veritysetup refuses the overlapping offset too"
refuse "offset not block-aligned" $((size + 100)) "not a multiple of the hash block size"
cp "$V/data" "$V/peer"
veritysetup format --hash-offset=$((size + 100)) --data-blocks=$((size / 4096)) "$V/peer" "$V/peer" >/dev/null 2>&1 &&
  bad "veritysetup accepts an unaligned offset?" || ok "veritysetup refuses the unaligned offset too"
# (veritysetup format takes any 512-byte multiple, but the dm-verity table addresses the tree
# in hash blocks, so integral wants a multiple of the hash block size.)
refuse "offset 512-aligned only" $((size + 512)) "not a multiple of the hash block size"

mkfifo "$V/fifo"
rc=0
timeout 20 $INTEGRAL verity "$V/fifo" --hash-offset $size >/dev/null 2>"$V/err" || rc=$?
[[ $rc -eq 3 && "$(cat "$V/err")" == *"$V/fifo"*"not a regular file"* ]] &&
  ok "a FIFO is refused (exit 3, not a regular file)" || bad "FIFO: exit $rc: $(cat "$V/err")"
rc=0
timeout 20 $INTEGRAL verity "$V/fifo" -o "$V/fifo.hash" >/dev/null 2>"$V/err" || rc=$?
[[ $rc -eq 3 && ! -e "$V/fifo.hash" ]] && ok "a FIFO as -o input is refused at once, no hash file" ||
  bad "FIFO -o: exit $rc: $(cat "$V/err")"
mkdir "$V/dir"
rc=0
$INTEGRAL verity "$V/dir" --hash-offset $size >/dev/null 2>"$V/err" || rc=$?
[[ $rc -eq 3 && "$(cat "$V/err")" == *"$V/dir"*"not a regular file"* ]] &&
  ok "a directory is refused (exit 3, not a regular file)" || bad "directory: exit $rc: $(cat "$V/err")"
[[ -z "$(temps "$V")" ]] && ok "verity: no temporary left" || bad "verity: temporaries $(temps "$V")"

finish
