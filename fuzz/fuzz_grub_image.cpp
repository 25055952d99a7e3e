// GRUB core images and FAT volumes from anywhere: the modules area of a GRUB EFI image and a
// file from its memdisk, and the input read as a FAT volume itself; must succeed or throw
// integral::Error.
#include <cstdint>
#include <span>

#include "integral/formats/fat.h"
#include "integral/formats/grub_image.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  try {
    auto g = integral::parse_grub_image(bytes, "fuzz");
    if (!g.memdisk.empty()) (void)integral::fat_read_file(g.memdisk, "/grub.cfg", "fuzz");
  } catch (const integral::Error&) {
  }
  for (const char* path : {"/grub.cfg", "/fonts/unicode.pf2"}) {
    try {
      (void)integral::fat_read_file(bytes, path, "fuzz");
    } catch (const integral::Error&) {
    }
  }
  return 0;
}
