# Helpers for the UEFI tests: Debian's systemd EFI binaries and tools, a UKI assembled with
# objcopy as the e2e harness does, and reading a predicted PCR out of `integral predict --yaml`.
EFI_STUB=${EFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
SD_BOOT=${SD_BOOT:-/usr/lib/systemd/boot/efi/systemd-bootx64.efi}
SYSTEMD_MEASURE=${SYSTEMD_MEASURE:-/usr/lib/systemd/systemd-measure}

# assemble_uki and pe_pin_timestamp (PE TimeDateStamp := EPOCH, CheckSum := 0): the example's
. "$(dirname "${BASH_SOURCE[0]}")/../../examples/uefi-boot/uki.sh"

# make_uki OUT LINUX OSREL CMDLINE INITRD: the stub plus sections at fixed addresses, with the
# PE timestamp pinned (objcopy stamps the current time) and the checksum zeroed.
make_uki() { assemble_uki "$EFI_STUB" "$1" "$2" "$3" "$4" "$5" "${SOURCE_DATE_EPOCH:-0}"; }

# predicted_pcr TOML BANK PCR: lower-case hex from `integral predict --yaml`
predicted_pcr() {
  "$INTEGRAL" predict "$1" --yaml --pcrs "$2:$3" |
    awk -v p="$3" '{ sub(/:/, " ") } $1 == p { sub(/^0x/, "", $2); print tolower($2) }'
}

# standin_uki OUT: a UKI for tests that predict but never boot it: systemd-stub with a copy of
# itself as .linux (a PE image, as the Linux stub's Authenticode measurement needs), a fixed
# os-release, command line and initrd.
standin_uki() {
  local d
  d=$(mktemp -d "$WORK/standin-uki.XXXXXX")
  cp "$EFI_STUB" "$d/linux"
  printf 'ID=integral-standin\n' >"$d/osrel"
  printf 'console=ttyS0 integral.measure_pcr=16' >"$d/cmdline"
  printf 'stand-in initrd\n' >"$d/initrd"
  make_uki "$1" "$d/linux" "$d/osrel" "$d/cmdline" "$d/initrd"
}

# standin_disk OUT: a GPT boot disk for tests that predict but never boot it (sfdisk): one EFI
# system partition, fixed GUIDs, no file system.
standin_disk() {
  truncate -s 4M "$1"
  sfdisk -q "$1" <<'GPT'
label: gpt
label-id: 0c3e1a2b-5d4f-4e6a-8b7c-9d0e1f2a3b4c
start=2048, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
GPT
}
