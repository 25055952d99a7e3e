#!/usr/bin/env bash
# Stage "gpt" (PCR 5's EV_EFI_GPT_EVENT) on disks partitioned by sfdisk (util-linux): the
# predicted digests equal SHA-1/SHA-256 of EFI_GPT_DATA built here by hand in Python from the
# disk's bytes (the 92-byte primary header, a UINT64 count, the non-empty entries in table
# order), for a disk with an empty entry between partitions and for a short entry array; the
# partition count agrees with `sfdisk --json`. A corrupt entry array and a disk without a GPT
# are refused (exit 3) naming the offset. The real firmware's event (OVMF) is checked by
# tests/uefi_boot_test.sh.
. "$(dirname "$0")/lib/common.sh"
command -v sfdisk >/dev/null || skip_all "sfdisk is not installed (scripts/deps/uefi.list)"
cd "$WORK"

# by_hand DISK BLOCK ALG: the digest of EFI_GPT_DATA, built independently of integral
by_hand() {
  python3 - "$@" <<'PY'
import hashlib, struct, sys
disk, block, alg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = open(disk, 'rb').read()
hdr = d[block:block + 92]
assert hdr[:8] == b'EFI PART'
lba, count, size = struct.unpack_from('<QII', hdr, 72)
entries = [d[lba * block + i * size:lba * block + (i + 1) * size] for i in range(count)]
used = [e for e in entries if e[:16] != bytes(16)]
print(hashlib.new(alg, hdr + struct.pack('<Q', len(used)) + b''.join(used)).hexdigest())
PY
}
predicted() { # TOML BANK: the predicted PCR 5 event digest
  "$INTEGRAL" predict "$1" --json | jq -r --arg b "$2" '.events[] | select(.pcr == 5) | .digests[$b]'
}
check() { # NAME BLOCK
  local name=$1 block=$2 bank n want
  printf 'banks = ["sha1", "sha256"]\n[[stage]]\ntype = "gpt"\ndisk = "%s.img"\nblock_size = %s\n' \
    "$name" "$block" >"$name.toml"
  n=$(sfdisk --json "$name.img" | jq '.partitiontable.partitions | length')
  for bank in sha1 sha256; do
    want=$(by_hand "$name.img" "$block" "$bank")
    expect_equal "$name ($n partitions, $block-byte blocks) $bank" "$want" "$(predicted "$name.toml" "$bank")"
  done
  "$INTEGRAL" predict "$name.toml" --json >"$name.json"
  jq -r '.events[0].description' "$name.json" | grep -q "($n partition" &&
    ok "$name: the event names $n partitions" || bad "$name: description"
}

truncate -s 16M gaps.img
sfdisk -q gaps.img <<'GPT'
label: gpt
start=2048, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"
start=8192, size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="a"
start=16384, size=8192, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="root"
GPT
sfdisk -q --delete gaps.img 2  # entry 2 becomes empty: the event skips it
check gaps 512

# a short entry array (8 entries), every entry used but the last
truncate -s 8M short.img
{
  printf 'label: gpt\ntable-length: 8\n'
  for i in 0 1 2 3 4 5 6; do printf 'size=256, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n'; done
} | sfdisk -q short.img
check short 512

# Refusals: a flipped byte in the entry array (its CRC32 no longer matches); no GPT at all.
cp gaps.img bad.img
printf 'X' | dd of=bad.img bs=1 seek=$((1024 + 200)) conv=notrunc status=none
sed 's/gaps.img/bad.img/' gaps.toml >bad.toml
expect_bad_input "corrupt entry array" "entry array CRC32 does not match" "$INTEGRAL" predict bad.toml
head -c 1M /dev/zero >zero.img
sed 's/gaps.img/zero.img/' gaps.toml >zero.toml
expect_bad_input "no GPT" "offset 0x200" "$INTEGRAL" predict zero.toml
finish
