# Helpers for the UEFI tests: Debian's systemd EFI binaries and tools, a UKI assembled with
# objcopy as the e2e harness does, and reading a predicted PCR out of `integral predict --yaml`.
EFI_STUB=${EFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
SD_BOOT=${SD_BOOT:-/usr/lib/systemd/boot/efi/systemd-bootx64.efi}
SYSTEMD_MEASURE=${SYSTEMD_MEASURE:-/usr/lib/systemd/systemd-measure}

# make_uki OUT LINUX OSREL CMDLINE INITRD: the stub plus sections at fixed addresses, with the
# PE timestamp pinned (objcopy stamps the current time) and the checksum zeroed.
make_uki() {
  local out=$1
  objcopy \
    --add-section .osrel="$3" --change-section-vma .osrel=0x20000 \
    --add-section .cmdline="$4" --change-section-vma .cmdline=0x30000 \
    --add-section .linux="$2" --change-section-vma .linux=0x2000000 \
    --add-section .initrd="$5" --change-section-vma .initrd=0x3000000 \
    "$EFI_STUB" "$out"
  pe_pin_timestamp "$out" "${SOURCE_DATE_EPOCH:-0}"
}

# pe_pin_timestamp FILE EPOCH: COFF TimeDateStamp (e_lfanew+8) := EPOCH, CheckSum := 0
pe_pin_timestamp() {
  local f=$1 pe
  pe=$(od -An -tu4 -j 60 -N4 "$f" | tr -d ' ')
  printf '%08x' "$2" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/' | xxd -r -p |
    dd of="$f" bs=1 seek=$((pe + 8)) conv=notrunc status=none
  printf '\000\000\000\000' | dd of="$f" bs=1 seek=$((pe + 88)) conv=notrunc status=none
}

# predicted_pcr TOML BANK PCR: lower-case hex from `integral predict --yaml`
predicted_pcr() {
  "$INTEGRAL" predict "$1" --yaml --pcrs "$2:$3" |
    awk -v p="$3" '{ sub(/:/, " ") } $1 == p { sub(/^0x/, "", $2); print tolower($2) }'
}
