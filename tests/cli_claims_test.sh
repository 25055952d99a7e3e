#!/usr/bin/env bash
# README claims checked against independent references:
# - `integral pe sections` against binutils' `objdump -h` and LLVM's `llvm-readobj --sections`
#   (Debian's systemd stub and an objcopy-built UKI);
# - `integral hash --bank` against coreutils' sha1sum/sha256sum/sha384sum/sha512sum (empty,
#   1-byte, odd-sized and a sparse file across the 64 MiB slice boundary, all in one call; --json);
# - `integral mkfs --timestamp`: every inode time and the superblock's times as debugfs and
#   dumpe2fs read them, and the image byte-identical to the SOURCE_DATE_EPOCH route;
# - `integral eventlog quirks` and `integral replay --quirk`: the README's rules listed,
#   missing-ebs reproducing a real machine's PCR 5 (go-attestation's vector), unknown names refused.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uefi.sh"

for tool in objdump objcopy llvm-readobj sha1sum sha256sum sha384sum sha512sum debugfs dumpe2fs jq; do
  command -v "$tool" >/dev/null || {
    echo "SKIP: $tool not installed"
    exit 77
  }
done
[[ -r $EFI_STUB ]] || {
  echo "SKIP: $EFI_STUB missing (systemd-boot-efi)"
  exit 77
}
data="${INTEGRAL_SOURCE_DIR:?}/tests/data"
cd "$WORK"

# ---- pe sections ---------------------------------------------------------------------------
prng_bytes linux 300001 >linux
printf 'ID=test\n' >osrel
printf 'root=/dev/vda quiet' >cmdline
prng_bytes initrd 4097 >initrd
make_uki uki.efi linux osrel cmdline initrd

# Numbers as decimal (0x... and bare hex marked h...), fields kept in order.
dec() {
  local w out
  while read -r -a w; do
    out=()
    for x in "${w[@]}"; do
      case $x in
        0x* | 0X*) out+=($((16#${x:2}))) ;;
        h*) out+=($((16#${x:1}))) ;;
        *) out+=("$x") ;;
      esac
    done
    echo "${out[*]}"
  done
}
# One row per section: name vaddr vsize rawptr rawsize, all decimal.
ours_text() {
  "$INTEGRAL" pe sections "$1" | awk 'NR > 1 { print $1, $2, $3, $4, $5 }' | dec
}
ours_json() {
  "$INTEGRAL" pe sections --json "$1" |
    jq -r '.[] | "\(.name) \(.virtual_address) \(.virtual_size) \(.pointer_to_raw_data) \(.size_of_raw_data)"'
}
# llvm-readobj prints every field of the section header.
readobj() {
  llvm-readobj --sections "$1" | awk '
    /^ *Name: / { n = $2 }
    /^ *VirtualSize: / { vs = $2 }
    /^ *VirtualAddress: / { va = $2 }
    /^ *RawDataSize: / { rs = $2 }
    /^ *PointerToRawData: / { print n, va, vs, $2, rs }' | dec
}
# objdump -h: name, VMA, file offset, and a size that for a PE image is the VirtualSize cut to
# SizeOfRawData (BFD keeps min(VirtualSize, SizeOfRawData) for a section with VirtualSize > 0),
# so the rows derived from ours are "name vma fileoff min(vsize, rawsize)".
objdump_rows() {
  objdump -h "$1" | awk '$1 ~ /^[0-9]+$/ { print $2, "h" $4, "h" $6, "h" $3 }' | dec
}
for f in "$EFI_STUB" uki.efi; do
  name=$(basename "$f")
  ours_text "$f" >ours.txt
  ours_json "$f" >ours.json.txt
  readobj "$f" >readobj.txt
  objdump_rows "$f" >objdump.txt
  n=$(wc -l <readobj.txt)
  if [[ $n -gt 3 ]] && cmp -s ours.txt readobj.txt; then
    ok "pe sections $name: $n sections equal llvm-readobj's (name, address, VirtualSize, file offset, raw size)"
  else
    bad "pe sections $name differ from llvm-readobj:"
    diff readobj.txt ours.txt | head
  fi
  cmp -s ours.txt ours.json.txt && ok "pe sections --json $name: same rows" || bad "pe sections --json $name differs from the table"
  awk '{ print $1, $2, $4, ($3 > 0 && $3 < $5) ? $3 : $5 }' ours.txt >ours.objdump.txt
  if [[ -s objdump.txt ]] && cmp -s ours.objdump.txt objdump.txt; then
    ok "pe sections $name: equal objdump -h (name, VMA, file offset, size)"
  else
    bad "pe sections $name differ from objdump -h:"
    diff objdump.txt ours.objdump.txt | head
  fi
done
# The UKI's added sections are there, where objcopy put them.
grep -q '^\.linux 33554432 300001 ' ours.txt && grep -q '^\.initrd 50331648 4097 ' ours.txt &&
  ok "pe sections uki.efi: .linux and .initrd at objcopy's addresses with their file sizes" ||
  bad "pe sections uki.efi: added sections: $(grep -E '^\.(linux|initrd)' ours.txt | tr '\n' ';')"

# ---- hash ----------------------------------------------------------------------------------
: >empty
printf 'x' >one
prng_bytes odd 1000003 >odd
# Sparse, above one 64 MiB slice: data across the boundary and at the end, a hole between.
truncate -s $((64 * 1024 * 1024 + 8191)) sparse
printf 'across the slice boundary' | dd of=sparse bs=1 seek=$((64 * 1024 * 1024 - 10)) conv=notrunc status=none
printf 'tail' | dd of=sparse bs=1 seek=$((64 * 1024 * 1024 + 8187)) conv=notrunc status=none
files=(empty one odd sparse)
"$INTEGRAL" hash "${files[@]}" --bank sha1,sha256,sha384,sha512 >hash.txt
"$INTEGRAL" hash "${files[@]}" --bank sha1,sha256,sha384,sha512 --json >hash.json
for alg in sha1 sha256 sha384 sha512; do
  for f in "${files[@]}"; do
    want=$(${alg}sum "$f" | awk '{ print $1 }')
    got=$(awk -v a="$alg" -v f="$f" '$1 == a && $3 == f { print $2 }' hash.txt)
    gotj=$(jq -r --arg f "$f" --arg a "$alg" '.[] | select(.file == $f) | .[$a]' hash.json)
    if [[ $got == "$want" && $gotj == "$want" ]]; then
      ok "hash $alg $f = ${alg}sum ($want)"
    else
      bad "hash $alg $f: ${alg}sum $want, integral $got, --json $gotj"
    fi
  done
done
[[ $(wc -l <hash.txt) -eq 16 ]] && ok "hash: 16 lines for 4 files x 4 banks" || bad "hash: $(wc -l <hash.txt) lines"
[[ $(jq -c '[.[] | keys_unsorted]' hash.json) == \
  '[["file","sha1","sha256","sha384","sha512"],["file","sha1","sha256","sha384","sha512"],["file","sha1","sha256","sha384","sha512"],["file","sha1","sha256","sha384","sha512"]]' ]] &&
  ok "hash --json: one object per file with file and one field per bank" ||
  bad "hash --json fields: $(jq -c '[.[] | keys_unsorted]' hash.json)"
[[ $(jq -r '[.[].file] | join(" ")' hash.json) == "empty one odd sparse" ]] &&
  ok "hash --json: files in argument order" || bad "hash --json order: $(jq -r '[.[].file] | join(" ")' hash.json)"
# Default bank: sha256 only.
[[ $("$INTEGRAL" hash one) == "sha256  $(sha256sum one | awk '{ print $1 }')  one" ]] &&
  ok "hash default bank sha256" || bad "hash default: $("$INTEGRAL" hash one)"

# ---- mkfs --timestamp ----------------------------------------------------------------------
mkdir -p tree/dir/sub
printf 'hello\n' >tree/dir/file
: >tree/empty
ln -s dir/file tree/link
ln tree/dir/file tree/hardlink
touch -d @1234567890 tree/dir/file # host times must not reach the image
T=1700000000
T_HEX=$(printf '0x%08x' "$T")
T_TEXT=$(TZ=UTC date -d "@$T" '+%a %b %e %H:%M:%S %Y')
for type in ext4 ext2; do
  "$INTEGRAL" mkfs --tree tree --type "$type" --timestamp "$T" -o ts.img >/dev/null
  SOURCE_DATE_EPOCH=$T "$INTEGRAL" mkfs --tree tree --type "$type" -o sde.img >/dev/null
  cmp -s ts.img sde.img && ok "mkfs $type: --timestamp $T and SOURCE_DATE_EPOCH=$T byte-identical" ||
    bad "mkfs $type: --timestamp and SOURCE_DATE_EPOCH images differ"
  "$INTEGRAL" mkfs --tree tree --type "$type" --timestamp $((T + 1)) -o other.img >/dev/null
  cmp -s ts.img other.img && bad "mkfs $type: the timestamp does not reach the image" ||
    ok "mkfs $type: another timestamp, another image"

  TZ=UTC dumpe2fs -h ts.img 2>/dev/null >sb.txt
  for field in "Filesystem created" "Last write time" "Last checked"; do
    got=$(sed -n "s/^$field: *//p" sb.txt)
    [[ $got == "$T_TEXT" ]] && ok "mkfs $type: $field = $got" || bad "mkfs $type: $field '$got', want '$T_TEXT'"
  done
  # Every inode in use: with a mode, all of its times are T (nanoseconds 0, no dtime); the
  # reserved inodes left blank (mode 0) have no time at all. Inode 1 (bad blocks) carries T.
  inodes=$(sed -n 's/^Inode count: *//p' sb.txt)
  for ((i = 1; i <= inodes; i++)); do echo "testi <$i>"; echo "stat <$i>"; done >cmds
  debugfs -f cmds ts.img 2>/dev/null >stat.txt
  verdict=$(awk -v t="$T_HEX" '
    /^debugfs: testi/ { ino = $3; gsub(/[<>]/, "", ino) }
    / is marked in use/ { inuse[ino] = 1 }
    /^Inode: / { cur = $2; m = $0; sub(/.*Mode: */, "", m); sub(/ .*/, "", m); mode[cur] = m }
    /^ *(ctime|atime|mtime|crtime|dtime):/ {
      f = $1; v = $2; ns = ""; if (split(v, p, ":") == 2) { v = p[1]; ns = p[2] }
      if (!(cur in inuse)) next
      n[cur]++
      if (f == "dtime:") bad[cur] = bad[cur] " dtime " v
      else if (mode[cur] == "0000" && cur != 1) { if (v != "0x00000000") bad[cur] = bad[cur] " " f v }
      else if (v != t || (ns != "" && ns != "00000000")) bad[cur] = bad[cur] " " f $2
      if (mode[cur] != "0000" || cur == 1) timed[cur] = 1
    }
    END {
      for (i in inuse) { used++; if (i in bad) { printf "inode %s:%s\n", i, bad[i]; errs++ } }
      for (i in timed) ntimed++
      if (!errs) printf "OK %d %d\n", used, ntimed
    }' stat.txt)
  if [[ $verdict == OK* ]]; then
    set -- $verdict
    # root, lost+found, dir, sub, file (= hardlink), empty, link, the journal (ext4) and inode 1
    want_timed=$([[ $type == ext4 ]] && echo 9 || echo 8)
    [[ $3 -eq $want_timed ]] && ok "mkfs $type: all $3 inodes with a mode (of $2 in use) have every time = $T_HEX" ||
      bad "mkfs $type: $3 inodes carry times (want $want_timed)"
  else
    bad "mkfs $type: inode times: $verdict"
  fi
done

# ---- eventlog quirks, replay --quirk ------------------------------------------------------
"$INTEGRAL" eventlog quirks >quirks.txt
for q in missing-ebs shim-authority-size grub-nul wbcl-separator; do
  grep -qx "$q" quirks.txt && ok "eventlog quirks lists $q" || bad "eventlog quirks lacks $q"
done
# go-attestation's ebs_event_missing_eventlog: its machine's real PCR 5 (SHA-1), as
# attest/eventlog_test.go (TestEBSVerifyWorkaround) expects it, needs the missing
# "Exit Boot Services" events (see tests/data/README.md).
ebs="$data/eventlogs/ebs_event_missing_eventlog"
want5=31245808d6d35849bc394f6343f2b3ff908ed5e3
pcr_of() { # YAML BANK PCR (tpm2_pcrread layout)
  awk -v b="$2:" -v p="$3" '$1 == b { inb = 1; next } /^  [a-z0-9]+:$/ { inb = 0 }
    inb { k = $1; sub(":", "", k); if (k == p) { v = $NF; sub("0x", "", v); print tolower(v) } }' "$1"
}
"$INTEGRAL" replay --yaml --quirk missing-ebs "$ebs" >with.yaml
"$INTEGRAL" replay --yaml "$ebs" >without.yaml
got=$(pcr_of with.yaml sha1 5)
[[ $got == "$want5" ]] && ok "replay --quirk missing-ebs: PCR 5 = the machine's $want5" || bad "replay --quirk missing-ebs: PCR 5 $got, want $want5"
got=$(pcr_of without.yaml sha1 5)
[[ -n $got && $got != "$want5" ]] && ok "replay without the quirk: PCR 5 $got differs" || bad "replay without the quirk: PCR 5 '$got'"
# Only PCR 5 changes.
diff <(grep -v '^ *5 *:' with.yaml) <(grep -v '^ *5 *:' without.yaml) >/dev/null &&
  ok "replay --quirk missing-ebs changes PCR 5 only" || bad "replay --quirk missing-ebs changed other PCRs"
set +e
"$INTEGRAL" replay --quirk no-such-quirk "$ebs" >out.txt 2>err.txt
rc=$?
set -e
[[ $rc -eq 2 && ! -s out.txt ]] && grep -q 'no-such-quirk' err.txt && grep -q 'missing-ebs' err.txt &&
  ok "replay --quirk no-such-quirk: exit 2, $(head -1 err.txt)" || bad "unknown quirk: exit $rc, $(cat err.txt)"

finish
