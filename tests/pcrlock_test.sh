#!/usr/bin/env bash
# `integral pcrlock` against systemd-pcrlock 257 (a trixie root, scripts/peers/): for a UKI built
# by 257's own ukify, integral's components hold the records pcrlock's own lock-uki, lock-pe,
# lock-kernel-cmdline and lock-kernel-initrd write for the same files (the initrd as systemd-stub
# 257 hands it to the kernel), byte for byte where one component answers one lock command; pcrlock lists them; and `systemd-pcrlock predict`
# reading only integral's components (on swtpm, from an empty firmware log) predicts the PCR 4
# and PCR 11 integral predicts, in every bank (pcrlock leaves PCR 9 out of its predictions).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/swtpm.sh"
. "$(dirname "$0")/lib/pcrlock.sh"
pcrlock_root # ukify 257 runs in the trixie root (chroot)
root=$ROOT257
in=$(mktemp -d "$root/tmp/integral-pcrlock.XXXXXX")
trap 'rm -rf "$in"; cleanup' EXIT
cd "$WORK"

cp "$root/usr/lib/systemd/boot/efi/linuxx64.efi.stub" "$in/linux" # a PE standing in for the kernel
printf 'ID=pcrlock\nNAME="pcrlock test"\n' >"$in/osrel"
printf 'console=ttyS0 root=/dev/vda2 ro quiet' >"$in/cmdline"
prng_bytes pcrlock-initrd 20000 >"$in/initrd"
n=/tmp/${in##*/}
chroot "$root" ukify build --linux=$n/linux --initrd=$n/initrd --os-release=@$n/osrel \
  --cmdline=@$n/cmdline --output=$n/uki.efi >ukify.out 2>&1 || bad "ukify build: $(tail -3 ukify.out)"
cp "$in"/{uki.efi,linux,cmdline,initrd} .
cat >boot.toml <<'TOML'
banks = ["sha1", "sha256", "sha384", "sha512"]
[[stage]]
type = "uefi-app"
images = ["uki.efi"]
[[stage]]
type = "uki"
uki = "uki.efi"
[[stage]]
type = "uefi-app"
images = ["uki.efi#.linux"]
[[stage]]
type = "linux-stub"
uki = "uki.efi"
TOML
"$INTEGRAL" pcrlock boot.toml -o comp >pcrlock.out
expect_equal "five components: UKI image, UKI sections, kernel image, command line, initrd" 5 \
  "$(find comp -name '*.pcrlock' | wc -l)"
c() { find comp -name "$1-*.pcrlock"; }

# pcrlock's own generators on the same files.
pcrlock lock-uki uki.efi --pcrlock=uki.pcrlock >/dev/null 2>&1
pcrlock lock-pe linux --pcrlock=pe.pcrlock >/dev/null 2>&1
pcrlock lock-kernel-cmdline cmdline --pcrlock=cmdline.pcrlock >/dev/null 2>&1
# The kernel measures the initrd systemd-stub 257 hands it: the UKI's .initrd (20000 bytes, no
# padding) and the stub's cpio archive of .osrel as /.extra/os-release, built here by hand
# (directory inode 1 mode 0555, file inode 2 mode 0444, trailer; every part padded to 4), as
# tests/uefi_boot_test.sh's real boot of stub 257 confirms. lock-kernel-initrd of the bare
# initrd file misses the archive.
python3 - "$in/osrel" initrd >initrd.booted <<'PY'
import sys
def a4(b): return b + bytes(-len(b) % 4)
def hdr(ino, mode, size, name):
    f = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name) + 1, 0]
    return a4(b'070701' + b''.join(b'%08x' % v for v in f) + name + b'\0')
osrel = open(sys.argv[1], 'rb').read()
trailer = b'070701' + b'0' * 32 + b'00000001' + b'0' * 48 + b'0000000B' + b'0' * 8 + b'TRAILER!!!\0\0\0\0'
sys.stdout.buffer.write(a4(open(sys.argv[2], 'rb').read()) + hdr(1, 0o40555, 0, b'.extra') +
    hdr(2, 0o100444, len(osrel), b'.extra/os-release') + a4(osrel) + trailer)
PY
pcrlock lock-kernel-initrd initrd.booted --pcrlock=initrd.pcrlock >/dev/null 2>&1
pcrlock lock-kernel-initrd initrd --pcrlock=bare-initrd.pcrlock >/dev/null 2>&1
cmp -s "$(find comp -name '104-*.pcrlock')" bare-initrd.pcrlock &&
  bad "component 104 equals lock-kernel-initrd of the bare initrd" ||
  ok "component 104 differs from lock-kernel-initrd of the bare initrd (the stub adds .osrel)"
expect_equal "the UKI's image and section components hold lock-uki's records" \
  "$(jq -c .records uki.pcrlock)" "$(jq -c -s 'map(.records) | add' "$(c 100)" "$(c 101)")"
for pair in "102 pe lock-pe of the kernel" "103 cmdline lock-kernel-cmdline" \
  "104 initrd lock-kernel-initrd of the initrd as booted"; do
  read -r num ref what <<<"$pair"
  cmp -s "$(c "$num")" "$ref.pcrlock" && ok "component $num is byte-identical to $what" ||
    bad "component $num differs from $what"
done
expect_equal "pcrlock lists integral's components" 5 \
  "$(pcrlock list-components --components=comp 2>/dev/null | grep -c integral)"

# pcrlock predict from integral's components only: numbered from 800, after pcrlock's
# location, so it predicts them from the TPM's reset values and an empty firmware log (the
# TCG log's header event alone, laid out here by hand).
"$INTEGRAL" pcrlock boot.toml -o future --first 800 >/dev/null
pcrlock_predict_from future predict.json
for pcr in 4 11; do
  for bank in sha1 sha256 sha384 sha512; do
    want=$("$INTEGRAL" predict boot.toml --yaml --pcrs "$bank:$pcr" | awk -v p="$pcr" '{ sub(/:/, " ") } $1 == p { sub(/^0x/, "", $2); print tolower($2) }')
    # pcrlock lists the values the PCR may hold from its location on: before the components
    # and after them; integral's is the value after the whole boot.
    got=$(jq -r --argjson p "$pcr" --arg b "$bank" '.[$b][]? | select(.pcr == $p) | .values[-1]' predict.json)
    expect_equal "pcrlock predict from integral's components: PCR $pcr $bank" "$want" "$got"
  done
done
finish
