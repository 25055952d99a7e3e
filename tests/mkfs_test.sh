#!/usr/bin/env bash
# integral mkfs against e2fsprogs: every image passes `e2fsck -fn`, debugfs reads back content,
# mode, owner, timestamps, xattrs and device numbers; builds are byte-identical, also from a
# copy of the tree with other host timestamps; hostile tars are refused with nothing written.
. "$(dirname "$0")/lib/common.sh"
export SOURCE_DATE_EPOCH=1700000000

fsck_clean() { e2fsck -fn "$1" >"$WORK/fsck.log" 2>&1; }
dbg() { debugfs -R "$1" "$2" 2>/dev/null; }

# ---- a hand-made tree with everything, all three types ----
T=$WORK/tree
mkdir -p "$T/etc/sub" "$T/bin" "$T/empty-dir"
echo "hello world" >"$T/etc/hostname"
prng_bytes seed1 300000 >"$T/bin/tool"
ln "$T/bin/tool" "$T/bin/tool-link"
ln -s ../etc/hostname "$T/bin/rel-link"
ln -s "/$(printf 'long%.0s' $(seq 30))" "$T/bin/long-link"
: >"$T/etc/empty"
truncate -s 20M "$T/etc/sparse"
printf 'data' | dd of="$T/etc/sparse" bs=1 seek=12345678 conv=notrunc 2>/dev/null
mkfifo "$T/etc/fifo"
cat >"$WORK/manifest" <<'EOF'
# path type mode uid gid extras
/dev          d 0755 0 0
/dev/null     c 0666 0 0 major=1 minor=3
/dev/sda      b 0660 0 6 major=8 minor=0
/dev/big      c 0600 0 0 major=300 minor=70000
/bin/tool     - 4711 0 0 xattr.security.capability=0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= xattr.trusted.t=0x0102ff
/etc/hostname - 0640 1234 5678 xattr.user.comment=hi\040there xattr.security.selinux=system_u:object_r:etc_t:s0\000
/etc/sub*     - - 42 - 
EOF
for type in ext4 ext3 ext2; do
  img=$WORK/img.$type
  if $INTEGRAL mkfs --tree "$T" --manifest "$WORK/manifest" --type "$type" -o "$img" >/dev/null; then
    ok "$type: built"
  else
    bad "$type: build failed"
    continue
  fi
  if fsck_clean "$img"; then ok "$type: e2fsck -fn clean"; else bad "$type: e2fsck: $(cat "$WORK/fsck.log")"; fi
  dbg "dump /bin/tool $WORK/out.tool" "$img"
  cmp -s "$WORK/out.tool" "$T/bin/tool" && ok "$type: file content" || bad "$type: file content"
  dbg "dump /etc/sparse $WORK/out.sparse" "$img"
  cmp -s "$WORK/out.sparse" "$T/etc/sparse" && ok "$type: sparse content" || bad "$type: sparse content"
  blocks=$(dbg "stat /etc/sparse" "$img" | sed -n 's/.*Blockcount: \([0-9]*\).*/\1/p')
  [[ "$blocks" -le 24 ]] && ok "$type: sparse file keeps its hole ($blocks sectors)" || bad "$type: sparse blockcount $blocks"
  st=$(dbg "stat /etc/hostname" "$img")
  grep -q "User:  1234   Group:  5678" <<<"$st" && ok "$type: owner" || bad "$type: owner: $st"
  grep -q "Mode:  0640" <<<"$st" && ok "$type: mode" || bad "$type: mode"
  grep -q "mtime: 0x6553f100" <<<"$st" && ok "$type: mtime = SOURCE_DATE_EPOCH" || bad "$type: mtime"
  grep -q "ctime: 0x6553f100" <<<"$st" && ok "$type: ctime = SOURCE_DATE_EPOCH" || bad "$type: ctime"
  ea=$(dbg "ea_list /etc/hostname" "$img")
  grep -q 'user.comment (8) = "hi there"' <<<"$ea" && ok "$type: user xattr" || bad "$type: user xattr: $ea"
  grep -q 'security.selinux (27) = "system_u:object_r:etc_t:s0\\000"' <<<"$ea" && ok "$type: selinux xattr" ||
    bad "$type: selinux xattr: $ea"
  ea=$(dbg "ea_list /bin/tool" "$img")
  grep -q 'security.capability (20) = 01 00 00 02 00 20 00 00' <<<"$ea" && ok "$type: capability" ||
    bad "$type: capability: $ea"
  grep -q 'trusted.t (3) = 01 02 ff' <<<"$ea" && ok "$type: binary xattr" || bad "$type: binary xattr: $ea"
  st=$(dbg "stat /bin/tool-link" "$img")
  grep -q "Links: 2" <<<"$st" && grep -q "Mode:  04711" <<<"$st" && ok "$type: hard link shares the inode" ||
    bad "$type: hard link: $st"
  dbg "stat /dev/null" "$img" | grep -q "Device major/minor number: 01:03" && ok "$type: char device" ||
    bad "$type: char device"
  dbg "stat /dev/sda" "$img" | grep -q "block special" && ok "$type: block device" || bad "$type: block device"
  dbg "stat /dev/big" "$img" | grep -q "Device major/minor number: 300:70000" && ok "$type: large device numbers" ||
    bad "$type: large device numbers: $(dbg "stat /dev/big" "$img" | grep -i device)"
  [[ "$(dbg "stat /bin/rel-link" "$img" | grep -o 'Fast link dest: .*')" == 'Fast link dest: "../etc/hostname"' ]] &&
    ok "$type: fast symlink" || bad "$type: fast symlink"
  dbg "dump /bin/long-link $WORK/out.link" "$img"
  [[ "$(cat "$WORK/out.link")" == "$(readlink "$T/bin/long-link")" ]] && ok "$type: long symlink" || bad "$type: long symlink"
  dbg "stat /etc/sub" "$img" | grep -q "User:    42" && ok "$type: glob owner" || bad "$type: glob owner"
done
features=$(dumpe2fs -h "$WORK/img.ext4" 2>/dev/null | grep 'features:')
for f in has_journal extent 64bit flex_bg metadata_csum; do
  grep -qw "$f" <<<"$features" && ok "ext4 has $f" || bad "ext4 lacks $f: $features"
done
dumpe2fs -h "$WORK/img.ext3" 2>/dev/null | grep 'features:' | grep -qw has_journal && ok "ext3 has a journal" || bad "ext3 journal"

# ---- xattr sets too big for the inode: one shared EA block per distinct set, refcounted ----
mkdir -p "$WORK/ea/t"
for f in a b c d; do echo "$f" >"$WORK/ea/t/$f"; done
big=$(printf 'v%.0s' $(seq 120))
cat >"$WORK/ea/m" <<EOF2
/a - - - - xattr.security.selinux=system_u:object_r:etc_t:s0\000 xattr.user.big=$big
/b - - - - xattr.security.selinux=system_u:object_r:etc_t:s0\000 xattr.user.big=$big
/c - - - - xattr.security.selinux=system_u:object_r:etc_t:s0\000 xattr.user.big=$big
/d - - - - xattr.security.selinux=system_u:object_r:bin_t:s0\000 xattr.user.big=$big
EOF2
for type in ext4 ext2; do
  $INTEGRAL mkfs --tree "$WORK/ea/t" --manifest "$WORK/ea/m" --type $type -o "$WORK/ea.img" >/dev/null
  fsck_clean "$WORK/ea.img" && ok "shared EA $type: e2fsck clean (it recounts the references)" ||
    bad "shared EA $type: $(head "$WORK/fsck.log")"
  acl() { dbg "stat /$1" "$WORK/ea.img" | sed -n 's/.*File ACL: \([0-9]*\).*/\1/p'; }
  A=$(acl a) B=$(acl b) C=$(acl c) D=$(acl d)
  [[ "$A" != 0 && -n "$A" && "$A" == "$B" && "$B" == "$C" ]] && ok "shared EA $type: a, b, c share block $A" ||
    bad "shared EA $type: blocks $A $B $C"
  [[ -n "$D" && "$D" != 0 && "$D" != "$A" ]] && ok "shared EA $type: another set gets its own block" ||
    bad "shared EA $type: d block $D"
  # h_refcount: the second little-endian word of the block
  rc=$(dd if="$WORK/ea.img" bs=4096 skip="$A" count=1 status=none | od -An -tu4 -j4 -N4 | tr -d ' ')
  [[ "$rc" == 3 ]] && ok "shared EA $type: refcount 3" || bad "shared EA $type: refcount $rc"
  ea=$(dbg "ea_list /c" "$WORK/ea.img")$(dbg "ea_get /c user.big" "$WORK/ea.img")
  grep -q "$big" <<<"$ea" && grep -q 'security.selinux (27) = "system_u:object_r:etc_t:s0\\000"' <<<"$ea" &&
    ok "shared EA $type: debugfs reads both xattrs back" || bad "shared EA $type: $ea"
done

# ---- htree: every multi-block directory is indexed, e2fsck checks the hash ranges ----
mkdir -p "$WORK/ht/one" "$WORK/ht/two" "$WORK/ht/small"
(cd "$WORK/ht/one" && seq -f 'file_%06g.txt' 1 5000 | xargs touch)
(cd "$WORK/ht/two" && seq -f "%g$(head -c 240 /dev/zero | tr '\0' x)" 1 9000 | xargs touch)
touch "$WORK/ht/small/a"
for type in ext4 ext2; do
  $INTEGRAL mkfs --tree "$WORK/ht" --type $type -o "$WORK/ht.img" >/dev/null
  fsck_clean "$WORK/ht.img" && ok "htree $type: e2fsck clean" || bad "htree $type: $(head "$WORK/fsck.log")"
  # (whole outputs first: grep -q closing the pipe early would fail the pipeline)
  h1=$(dbg "htree /one" "$WORK/ht.img") h2=$(dbg "htree /two" "$WORK/ht.img")
  h3=$(debugfs -R "htree /small" "$WORK/ht.img" 2>&1)
  grep -q "Indirect levels: 0" <<<"$h1" && ok "htree $type: 5000 entries indexed" ||
    bad "htree $type: /one not indexed"
  grep -q "Indirect levels: 1" <<<"$h2" && ok "htree $type: two-level index" ||
    bad "htree $type: /two not two-level"
  grep -q "Not a hash-indexed" <<<"$h3" && ok "htree $type: one-block dir linear" ||
    bad "htree $type: /small"
  dbg "stat /one/file_004321.txt" "$WORK/ht.img" | grep -q "Type: regular" && ok "htree $type: lookup" ||
    bad "htree $type: lookup"
done

# ---- the kernel looks up every name through our index: loop-mounted read-only, no e2fsck -D ----
mkdir -p "$WORK/lk/big" "$WORK/mnt"
(cd "$WORK/lk/big" && seq -f 'entry_%05g.conf' 1 18000 | xargs touch)
cp -r "$WORK/ht/two" "$WORK/lk/two"
$INTEGRAL mkfs --tree "$WORK/lk" -o "$WORK/lk.img" >/dev/null
if [[ $(id -u) -ne 0 ]]; then
  skip "kernel htree lookups: a loop mount needs root"
elif ! timeout 30 mount -o loop,ro "$WORK/lk.img" "$WORK/mnt" 2>"$WORK/mount.err"; then
  skip "kernel htree lookups: this machine cannot loop-mount ($(cat "$WORK/mount.err"))"
else
  for d in big two; do
    lsattr -d "$WORK/mnt/$d" 2>/dev/null | grep -q '^[^ ]*I' && ok "mounted /$d carries the index flag" ||
      bad "mounted /$d: $(lsattr -d "$WORK/mnt/$d" 2>&1)"
    # stat by name: a lookup through the htree (readdir alone would not use the index)
    n=$(ls -U "$WORK/lk/$d" | wc -l)
    found=$(cd "$WORK/lk/$d" && ls -U | (cd "$WORK/mnt/$d" && xargs -d '\n' stat -c %i 2>/dev/null) | wc -l || true)
    [[ "$n" -gt 0 && "$found" == "$n" ]] && ok "mounted /$d: the kernel finds all $n names" ||
      bad "mounted /$d: found $found of $n names"
    missing=$(cd "$WORK/mnt/$d" && stat -c %i "no-such-name" 2>&1 >/dev/null | grep -c 'No such file' || true)
    [[ "$missing" == 1 ]] && ok "mounted /$d: an absent name is absent" || bad "mounted /$d: absent name"
  done
  umount "$WORK/mnt"
fi

# ---- reproducibility: rebuild, and a copy with other host timestamps ----
$INTEGRAL mkfs --tree "$T" --manifest "$WORK/manifest" -o "$WORK/again.ext4" >/dev/null
cmp -s "$WORK/img.ext4" "$WORK/again.ext4" && ok "second build byte-identical" || bad "second build differs"
cp -r "$T" "$WORK/copy" # cp -r: new inodes, new times, no hard link kept...
rm "$WORK/copy/bin/tool-link" && ln "$WORK/copy/bin/tool" "$WORK/copy/bin/tool-link"
touch -d '2001-02-03' "$WORK/copy/etc/hostname" "$WORK/copy/bin"
$INTEGRAL mkfs --tree "$WORK/copy" --manifest "$WORK/manifest" -o "$WORK/copy.ext4" >/dev/null
cmp -s "$WORK/img.ext4" "$WORK/copy.ext4" && ok "copy with other host timestamps byte-identical" || bad "copy differs"
# same tree as a tar (GNU tar, pax xattrs) gives a clean image with the xattr
if ! setfattr -n user.origin -v tar-xattr "$T/etc/hostname" 2>"$WORK/setfattr.err"; then
  skip "tar with pax xattrs: this file system takes no user xattrs ($(cat "$WORK/setfattr.err"))"
else
  tar --xattrs --xattrs-include='*' --format=pax --numeric-owner -cf "$WORK/tree.tar" -C "$T" .
  $INTEGRAL mkfs --tar "$WORK/tree.tar" -o "$WORK/tar.ext4" >/dev/null && fsck_clean "$WORK/tar.ext4" &&
    ok "tar: e2fsck clean" || bad "tar image"
  dbg "ea_list /etc/hostname" "$WORK/tar.ext4" | grep -q 'user.origin (9) = "tar-xattr"' && ok "tar: pax xattr" ||
    bad "tar: pax xattr"
  dbg "dump /bin/tool $WORK/out.tar.tool" "$WORK/tar.ext4"
  cmp -s "$WORK/out.tar.tool" "$T/bin/tool" && ok "tar: content" || bad "tar: content"
  dbg "stat /bin/tool-link" "$WORK/tar.ext4" | grep -q "Links: 2" && ok "tar: hard link" || bad "tar: hard link"
fi

# ---- dm-verity (veritysetup is the reference) and the image's digests ----
SALT=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
VU=11111111-2222-3333-4444-555555555555
$INTEGRAL mkfs --tree "$T" -o "$WORK/v.img" --verity "$WORK/v.hash" --salt $SALT --verity-uuid $VU \
  --measure sha1,sha256 --json >"$WORK/v.json"
ref=$(veritysetup format --salt=$SALT --uuid=$VU "$WORK/v.img" "$WORK/ref.hash" | sed -n 's/^Root hash:[[:space:]]*//p')
root=$(jq -r .verity.root_hash "$WORK/v.json" 2>/dev/null || sed -n 's/.*"root_hash": "\([0-9a-f]*\)".*/\1/p' "$WORK/v.json")
[[ -n "$ref" && "$root" == "$ref" ]] && ok "verity root hash = veritysetup's" || bad "verity root $root vs $ref"
cmp -s "$WORK/v.hash" "$WORK/ref.hash" && ok "verity hash file byte-identical to veritysetup's" || bad "verity hash file differs"
veritysetup verify "$WORK/v.img" "$WORK/v.hash" "$root" >/dev/null 2>&1 && ok "veritysetup verify accepts it" ||
  bad "veritysetup verify"
[[ "$(sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' "$WORK/v.img.digests.json")" == "$(sha256sum "$WORK/v.img" | cut -d' ' -f1)" ]] &&
  ok "measured sha256 = sha256sum" || bad "measured sha256"
[[ "$(sed -n 's/.*"sha1": "\([0-9a-f]*\)".*/\1/p' "$WORK/v.img.digests.json")" == "$(sha1sum "$WORK/v.img" | cut -d' ' -f1)" ]] &&
  ok "measured sha1 = sha1sum" || bad "measured sha1"
# Measuring hands the same bytes to the digests as it writes: the image equals a plain build's.
$INTEGRAL mkfs --tree "$T" -o "$WORK/p.img" >/dev/null
cmp -s "$WORK/v.img" "$WORK/p.img" && ok "measured build byte-identical to the plain one" ||
  bad "measuring changed the image"
# appended tree, sha1, 512-byte hash blocks, no superblock
cp "$WORK/v.img" "$WORK/a.img" && cp "$WORK/v.img" "$WORK/r.img"
size=$(stat -c %s "$WORK/v.img")
out=$($INTEGRAL verity "$WORK/a.img" --hash-offset "$size" --salt $SALT --hash sha1 --hash-block-size 512 --no-superblock)
ref=$(veritysetup format --salt=$SALT --hash=sha1 --hash-block-size=512 --no-superblock --data-blocks=$((size / 4096)) \
  --hash-offset="$size" "$WORK/r.img" "$WORK/r.img" | sed -n 's/^Root hash:[[:space:]]*//p')
[[ "$out" == *"root hash: $ref"* ]] && ok "appended sha1 tree: same root as veritysetup" || bad "appended: $out vs $ref"
cmp -s "$WORK/a.img" "$WORK/r.img" && ok "appended tree byte-identical" || bad "appended tree differs"
# default salt: derived, reproducible, and verifiable
$INTEGRAL verity "$WORK/v.img" -o "$WORK/d1.hash" --json >"$WORK/d1.json"
$INTEGRAL verity "$WORK/v.img" -o "$WORK/d2.hash" >/dev/null
cmp -s "$WORK/d1.hash" "$WORK/d2.hash" && ok "default salt: reproducible" || bad "default salt differs"
droot=$(sed -n 's/.*"root_hash": "\([0-9a-f]*\)".*/\1/p' "$WORK/d1.json")
veritysetup verify "$WORK/v.img" "$WORK/d1.hash" "$droot" >/dev/null 2>&1 && ok "default salt: veritysetup verify" ||
  bad "default salt verify"

# ---- digests and verity computed while writing, for every type and both VHD kinds ----
# (the writer feeds them the bytes it writes; the references read the finished image)
for out in ext2 ext3 ext4 vhd-fixed vhd-dynamic; do
  case $out in
    vhd-*) type=ext4 vhd=(--vhd "${out#vhd-}") ;;
    *) type=$out vhd=() ;;
  esac
  o=$WORK/m.$out
  if ! $INTEGRAL mkfs --tree "$T" --manifest "$WORK/manifest" --type $type "${vhd[@]}" -o "$o" \
    --verity "$o.hash" --salt $SALT --verity-uuid $VU --measure sha1,sha256 --json >"$o.json"; then
    bad "measure $out: build failed"
    continue
  fi
  raw=$o
  if [[ $out == vhd-* ]]; then
    qemu-img convert -f vpc -O raw "$o" "$o.raw" && raw=$o.raw
  fi
  [[ "$(jq -r .sha256 "$o.digests.json")" == "$(sha256sum "$raw" | cut -d' ' -f1)" ]] &&
    ok "measure $out: sha256 while writing = sha256sum" || bad "measure $out: sha256"
  [[ "$(jq -r .sha1 "$o.digests.json")" == "$(sha1sum "$raw" | cut -d' ' -f1)" ]] &&
    ok "measure $out: sha1 while writing = sha1sum" || bad "measure $out: sha1"
  ref=$(veritysetup format --salt=$SALT --uuid=$VU "$raw" "$o.ref" | sed -n 's/^Root hash:[[:space:]]*//p')
  [[ -n "$ref" && "$(jq -r .verity.root_hash "$o.json")" == "$ref" ]] && cmp -s "$o.hash" "$o.ref" &&
    ok "measure $out: verity tree while writing = veritysetup format" || bad "measure $out: verity"
  rm -f "$o" "$o.raw" "$o.hash" "$o.ref"
done
# default salt: mkfs --verity derives the same salt and tree as `integral verity` on the image
$INTEGRAL mkfs --tree "$T" -o "$WORK/ds.img" --verity "$WORK/ds.hash" >/dev/null
$INTEGRAL verity "$WORK/ds.img" -o "$WORK/ds2.hash" >/dev/null
cmp -s "$WORK/ds.hash" "$WORK/ds2.hash" && ok "mkfs --verity default salt = integral verity's" ||
  bad "mkfs --verity default salt differs"

# ---- VHD fixed and dynamic: qemu-img (format vpc) reads the raw image's bytes ----
for kind in fixed dynamic; do
  $INTEGRAL mkfs --tree "$T" --manifest "$WORK/manifest" --vhd $kind -o "$WORK/$kind.vhd" >/dev/null
  qemu-img compare -f raw -F vpc "$WORK/img.ext4" "$WORK/$kind.vhd" >/dev/null 2>&1 &&
    ok "vhd $kind: qemu-img compare identical to the raw image" || bad "vhd $kind: compare"
  vs=$(qemu-img info -f vpc "$WORK/$kind.vhd" | sed -n 's/.*virtual size: .*(\([0-9]*\) bytes).*/\1/p')
  [[ "$vs" == "$(stat -c %s "$WORK/img.ext4")" ]] && ok "vhd $kind: virtual size exact" || bad "vhd $kind: size $vs"
  $INTEGRAL mkfs --tree "$T" --manifest "$WORK/manifest" --vhd $kind -o "$WORK/$kind.2.vhd" >/dev/null
  cmp -s "$WORK/$kind.vhd" "$WORK/$kind.2.vhd" && ok "vhd $kind: rebuild byte-identical" || bad "vhd $kind: rebuild differs"
  # the raw image is a temporary ("." + name + ".XXXXXX") removed once the VHD is written
  [[ -z "$(find "$WORK" -maxdepth 1 \( -name '*.raw-tmp' -o -name '.*.??????' \))" ]] && ok "vhd $kind: no temporary left" ||
    bad "vhd $kind: temp left"
done

# ---- SELinux labels from file_contexts: the same decisions as matchpathcon ----
S=$WORK/se
mkdir -p "$S/t/etc/ssh" "$S/t/usr/bin" "$S/t/var/log"
touch "$S/t/etc/passwd" "$S/t/etc/ssh/sshd_config" "$S/t/usr/bin/ls" "$S/t/var/log/x"
ln -s ls "$S/t/usr/bin/dir"
cat >"$S/fc" <<'EOF'
/.*                   system_u:object_r:default_t:s0
/                 -d  system_u:object_r:root_t:s0
/etc(/.*)?            system_u:object_r:etc_t:s0
/etc/ssh/.*       --  system_u:object_r:sshd_conf_t:s0
/usr/bin(/.*)?        system_u:object_r:bin_t:s0
/usr/bin/dir      -l  system_u:object_r:lnk_t:s0
/dev/null         -c  system_u:object_r:null_device_t:s0
/var/log          -d  system_u:object_r:var_log_t:s0
/var/log/.*           <<none>>
/lost\+found(/.*)?    system_u:object_r:lost_found_t:s0
EOF
cat >"$S/m" <<'EOF'
/dev d 0755 0 0
/dev/null c 0666 0 0 major=1 minor=3
/etc/passwd - - - - xattr.security.selinux=custom_u:r:t:s0\000
EOF
$INTEGRAL mkfs --tree "$S/t" --manifest "$S/m" --file-contexts "$S/fc" -o "$S/i.img" >/dev/null
fsck_clean "$S/i.img" && ok "labelled image: e2fsck clean" || bad "labelled image: e2fsck"
lfails=0
for pt in /:dir /etc:dir /etc/ssh:dir /etc/ssh/sshd_config:file /usr:dir /usr/bin/ls:file /usr/bin/dir:link \
  /dev:dir /dev/null:chr_file /var/log:dir /var/log/x:file /lost+found:dir; do
  p=${pt%%:*} m=${pt##*:}
  want=$(matchpathcon -m "$m" -f "$S/fc" "$p" | awk '{print $2}')
  got=$(debugfs -R "ea_get $p security.selinux" "$S/i.img" 2>/dev/null | sed -n 's/.*= "\(.*\)\\000".*/\1/p')
  [[ "$want" == "<<none>>" ]] && want=""
  [[ "$got" == "$want" ]] || { bad "label of $p: got '$got', matchpathcon '$want'"; lfails=$((lfails + 1)); }
done
[[ $lfails -eq 0 ]] && ok "labels of 12 paths equal matchpathcon's decisions"
debugfs -R "ea_get /etc/passwd security.selinux" "$S/i.img" 2>/dev/null | grep -q custom_u && ok "manifest label wins" ||
  bad "manifest label"

# ---- Debian's real policy (selinux-policy-default): every file's label = matchpathcon's ----
FC=/etc/selinux/default/contexts/files/file_contexts
if [[ ! -r $FC ]]; then
  skip "labels from Debian's real policy: $FC missing (scripts/deps/image.list installs selinux-policy-default)"
else
  R=$WORK/rp
  mkdir -p "$R/t"/{etc/ssh,etc/default,usr/bin,usr/sbin,usr/lib/systemd/system,usr/share/doc/x,var/log/apt,var/lib/dpkg,tmp,root,home/user,boot,opt/app,run,srv,sbin-dir}
  for f in etc/passwd etc/shadow etc/ssh/sshd_config etc/default/grub usr/bin/bash usr/bin/passwd usr/sbin/sshd \
    usr/lib/systemd/systemd usr/lib/systemd/system/ssh.service usr/share/doc/x/README var/log/apt/history.log \
    var/lib/dpkg/status root/.bashrc home/user/.profile boot/vmlinuz-6.1.0 opt/app/run.sh srv/index.html; do
    echo "$f" >"$R/t/$f"
  done
  ln -s usr/bin "$R/t/bin"
  ln -s ../usr/bin/bash "$R/t/etc/shell-link"
  cat >"$R/m" <<'EOF2'
/dev d 0755 0 0
/dev/null c 0666 0 0 major=1 minor=3
/dev/sda b 0660 0 6 major=8 minor=0
/dev/initctl p 0600 0 0
EOF2
  if $INTEGRAL mkfs --tree "$R/t" --manifest "$R/m" --file-contexts "$FC" -o "$R/i.img" >"$R/log" 2>&1; then
    fsck_clean "$R/i.img" && ok "real policy: labelled image e2fsck clean" || bad "real policy: e2fsck"
    # every path of the image with its matchpathcon type, one matchpathcon call per type
    declare -A kinds=([f]=file [d]=dir [l]=link [c]=chr_file [b]=blk_file [p]=pipe)
    : >"$R/want"
    (cd "$R/t" && find . -mindepth 1 -printf '%y /%P\n'; echo "d /"; echo "d /lost+found"
      echo "c /dev/null"; echo "b /dev/sda"; echo "p /dev/initctl") | sort -u -k2 >"$R/paths"
    for k in "${!kinds[@]}"; do
      mapfile -t ps < <(awk -v k="$k" '$1 == k {print $2}' "$R/paths")
      [[ ${#ps[@]} -gt 0 ]] || continue
      matchpathcon -m "${kinds[$k]}" -f "$FC" "${ps[@]}" >>"$R/want" 2>/dev/null || true
    done
    awk '{print "ea_get " $2 " security.selinux"}' "$R/paths" >"$R/cmds"
    debugfs -f "$R/cmds" "$R/i.img" >"$R/got" 2>&1
    lfails=0 n=0
    while read -r p ctx; do
      n=$((n + 1))
      got=$(awk -v p="$p" '$1 == "debugfs:" && $2 == "ea_get" {cur = $3; next}
        cur == p && /security.selinux/ {s = $0; sub(/^[^"]*"/, "", s); sub(/\\000".*$/, "", s); print s; exit}' "$R/got")
      [[ "$ctx" == "<<none>>" ]] && ctx=""
      [[ "$got" == "$ctx" ]] || { bad "real policy: $p labelled '$got', matchpathcon '$ctx'"; lfails=$((lfails + 1)); }
    done <"$R/want"
    [[ $n -ge 40 && $lfails -eq 0 ]] && ok "real policy: all $n labels equal matchpathcon's decisions"
  else
    bad "real policy: build failed: $(cat "$R/log")"
  fi
fi

# ---- hostile tars: refused, exit 3, nothing written ----
H=$WORK/hostile
mkdir -p "$H/d" && echo x >"$H/d/f" && ln -s /etc "$H/link"
refuse() { # name tarfile expected-message
  rm -f "$WORK/h.img"
  local out rc=0
  out=$($INTEGRAL mkfs --tar "$2" -o "$WORK/h.img" 2>&1) || rc=$?
  if [[ $rc -eq 3 && ! -e "$WORK/h.img" ]] && grep -q "$3" <<<"$out" &&
    [[ -z "$(find "$WORK" -maxdepth 1 -name '.h.img.*')" ]]; then
    ok "hostile $1 refused: $out"
  else
    bad "hostile $1: rc=$rc out=$out"
  fi
}
tar -cf "$WORK/dotdot.tar" -C "$H" --transform 's,^d/f,d/../../f,' d/f
refuse "'..'" "$WORK/dotdot.tar" "contains '..'"
tar -P -cf "$WORK/abs.tar" --transform 's,^,/,' -C "$H" d/f 2>/dev/null
refuse "absolute path" "$WORK/abs.tar" "absolute path"
tar -cf "$WORK/escape.tar" -C "$H" link
tar -rf "$WORK/escape.tar" -C "$H" --transform 's,^d/f,link/passwd,' d/f
refuse "write through a symlink" "$WORK/escape.tar" "is a symlink not a directory"
tar -cf "$WORK/dup.tar" -C "$H" d/f
tar -rf "$WORK/dup.tar" -C "$H" d/f
refuse "duplicate" "$WORK/dup.tar" "duplicate entry"
head -c 10000 /dev/zero | tr '\0' 'A' >"$WORK/garbage.tar"
refuse "garbage header" "$WORK/garbage.tar" "tar"
printf '/../etc/passwd f 0644 0 0\n' >"$WORK/bad.manifest"
rc=0
out=$($INTEGRAL mkfs --tree "$H" --manifest "$WORK/bad.manifest" -o "$WORK/h.img" 2>&1) || rc=$?
[[ $rc -eq 3 && ! -e "$WORK/h.img" ]] && ok "manifest entry outside the tree refused: $out" || bad "manifest outside: $rc $out"
printf '/link/x c 0600 0 0 major=1 minor=1\n' >"$WORK/bad.manifest"
rc=0
out=$($INTEGRAL mkfs --tree "$H" --manifest "$WORK/bad.manifest" -o "$WORK/h.img" 2>&1) || rc=$?
[[ $rc -eq 3 && ! -e "$WORK/h.img" ]] && ok "manifest entry below a symlink refused: $out" || bad "manifest symlink: $rc $out"

# ---- property test: random small trees ----
RANDOM=4242
gen_tree() { # dir manifest
  local d=$1 m=$2 i j n name
  mkdir -p "$d"
  : >"$m"
  local dirs=("")
  for ((i = 0; i < 1 + RANDOM % 6; i++)); do
    local parent=${dirs[RANDOM % ${#dirs[@]}]}
    name="$parent/d$i$(head -c $((RANDOM % 200)) /dev/zero | tr '\0' 'n')"
    mkdir -p "$d$name"
    dirs+=("$name")
  done
  n=$((RANDOM % 25))
  for ((j = 0; j < n; j++)); do
    local parent=${dirs[RANDOM % ${#dirs[@]}]}
    local f="$parent/f$j"
    case $((RANDOM % 8)) in
      0) : >"$d$f" ;;
      1) prng_bytes "s$RANDOM" $((RANDOM * 7)) >"$d$f" ;;
      2) truncate -s $((RANDOM * 300)) "$d$f"; printf 'z' | dd of="$d$f" bs=1 seek=$((RANDOM * 100)) conv=notrunc 2>/dev/null ;;
      3) ln -s "target-$RANDOM$(head -c $((RANDOM % 120)) /dev/zero | tr '\0' 't')" "$d$f" ;;
      4) prng_bytes "h$RANDOM" 5000 >"$d$f"; ln "$d$f" "$d$parent/hl$j" ;;
      5) printf 'c 0600 0 0 major=%d minor=%d\n' $((RANDOM % 300)) $((RANDOM)) | sed "s,^,$f ," >>"$m" ;;
      6) prng_bytes "x$RANDOM" $((RANDOM % 9000)) >"$d$f"
         printf '%s - 0%o %d %d xattr.user.k%d=v%d xattr.trusted.big=0x%s\n' "$f" $((RANDOM % 4096)) $RANDOM $RANDOM \
           $j $RANDOM "$(prng_bytes "v$RANDOM" $((RANDOM % 300)) | xxd -p | tr -d '\n')" >>"$m" ;;
      7) echo "$j" >"$d$parent/$(head -c $((100 + RANDOM % 150)) /dev/zero | tr '\0' 'L')$j" ;;
    esac
  done
}
fails=0
for k in $(seq 1 25); do
  P=$WORK/prop$k
  gen_tree "$P/t" "$P/m"
  [[ $((k % 3)) -eq 0 ]] && type=ext2 || type=ext4
  [[ $((k % 5)) -eq 0 ]] && type=ext3
  if ! $INTEGRAL mkfs --tree "$P/t" --manifest "$P/m" --type $type -o "$P/a.img" >"$P/log" 2>&1; then
    bad "property $k: build failed: $(cat "$P/log")"; fails=$((fails + 1)); continue
  fi
  fsck_clean "$P/a.img" || { bad "property $k ($type): e2fsck: $(head -20 "$WORK/fsck.log")"; fails=$((fails + 1)); }
  $INTEGRAL mkfs --tree "$P/t" --manifest "$P/m" --type $type -o "$P/b.img" >/dev/null
  cmp -s "$P/a.img" "$P/b.img" || { bad "property $k: rebuild differs"; fails=$((fails + 1)); }
  cp -a "$P/t" "$P/c" && find "$P/c" -exec touch -h -d "@$((RANDOM * 1000))" {} +
  $INTEGRAL mkfs --tree "$P/c" --manifest "$P/m" --type $type -o "$P/c.img" >/dev/null
  cmp -s "$P/a.img" "$P/c.img" || { bad "property $k: copy with other timestamps differs"; fails=$((fails + 1)); }
  # every regular file reads back equal
  while IFS= read -r -d '' f; do
    rel=${f#"$P/t"}
    dbg "dump \"$rel\" $P/out" "$P/a.img"
    cmp -s "$P/out" "$f" || { bad "property $k: content of $rel"; fails=$((fails + 1)); }
  done < <(find "$P/t" -type f -print0)
  rm -rf "$P"
done
[[ $fails -eq 0 ]] && ok "property: 25 random trees clean, reproducible, content equal"
finish
