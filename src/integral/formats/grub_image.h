// GRUB's EFI core image (grub-mkimage, the signed grubx64.efi distributions ship): the modules
// area in its "mods" section holds what the image brings along besides code: the prefix (the
// directory GRUB's $prefix names on the boot device), the embedded configuration it runs first,
// and a memdisk (a small file system the embedded configuration may read). Read from untrusted
// bytes with every length checked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace integral {

struct GrubImage {
  std::optional<std::string> prefix;  // OBJ_TYPE_PREFIX, e.g. "/EFI/debian"
  std::optional<std::string> config;  // OBJ_TYPE_CONFIG: the embedded configuration
  std::span<const uint8_t> memdisk;   // OBJ_TYPE_MEMDISK (a view into the image), or empty
  size_t modules = 0;                 // OBJ_TYPE_ELF: the modules built in
};

// The modules area of a GRUB EFI image. Throws Error(kBadInput) naming `file` and the offset
// when the image has no "mods" section or its modules do not fit.
GrubImage parse_grub_image(std::span<const uint8_t> image, const std::string& file);

}  // namespace integral
