# A Unified Kernel Image assembled with objcopy (sections at fixed addresses), byte-identical on
# every run: the tests' second way of building a UKI (tests/lib/uefi.sh), beside build.sh's
# `integral uki`.

# assemble_uki STUB OUT LINUX OSREL CMDLINE INITRD EPOCH: the stub plus the sections. Section
# addresses: the 252 stub ends below 0x20000 and the kernel fits below 0x3000000; systemd-stub
# only needs them not to overlap. The PE timestamp is pinned to EPOCH.
assemble_uki() {
  objcopy \
    --add-section .osrel="$4" --change-section-vma .osrel=0x20000 \
    --add-section .cmdline="$5" --change-section-vma .cmdline=0x30000 \
    --add-section .linux="$3" --change-section-vma .linux=0x2000000 \
    --add-section .initrd="$6" --change-section-vma .initrd=0x3000000 \
    "$1" "$2"
  pe_pin_timestamp "$2" "$7"
}

# pe_pin_timestamp FILE EPOCH: objcopy (binutils 2.40) writes the current time into the COFF
# TimeDateStamp (e_lfanew+8), which Authenticode covers (PCR 4), and ignores SOURCE_DATE_EPOCH
# there: set it to EPOCH. Zero the CheckSum (e_lfanew+88): Authenticode skips it and UEFI does
# not check it.
pe_pin_timestamp() {
  local f=$1 pe
  pe=$(od -An -tu4 -j 60 -N4 "$f" | tr -d ' ')
  printf '%08x' "$2" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/' | xxd -r -p |
    dd of="$f" bs=1 seek=$((pe + 8)) conv=notrunc status=none
  printf '\000\000\000\000' | dd of="$f" bs=1 seek=$((pe + 88)) conv=notrunc status=none
}
