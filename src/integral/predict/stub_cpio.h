// The cpio archives systemd-stub makes at boot and appends to the initrd it hands the kernel
// (src/boot/efi/cpio.c): a UKI's .pcrsig and .pcrpkey become /.extra/tpm2-pcr-signature.json
// and /.extra/tpm2-pcr-public-key.pem. The kernel's EFI stub measures the whole initrd into
// PCR 9, so these bytes are part of that measurement.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "integral/util/bytes.h"

namespace integral {

// One "newc" archive as systemd-stub's pack_cpio_literal writes it: the directory `dir` (inode
// 1, mode 0555), the file dir/name (inode 2, mode 0444, `contents`), the trailer; uid, gid and
// mtime 0, nlink 1, lower-case hex, every header and the contents padded to 4 bytes.
Bytes stub_literal_cpio(std::string_view dir, std::string_view name,
                        std::span<const uint8_t> contents);

}  // namespace integral
