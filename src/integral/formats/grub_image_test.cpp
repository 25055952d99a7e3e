#include "integral/formats/grub_image.h"

#include <gtest/gtest.h>

#include <cstring>

#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"

namespace integral {
namespace {

using testing::LeBytes;
using testing::put16;
using testing::put32;

// A PE32+ laid out by hand with one section, named through the COFF string table ("/4": the
// name at offset 4 of the table at 0x700, "mods"), raw [0x400, +0x300): the modules area as
// grub-mkimage writes it. `area` goes at 0x400.
Bytes make_image(const Bytes& area) {
  Bytes b(0x740, 0);
  b[0] = 'M';
  b[1] = 'Z';
  put32(b, 0x3c, 0x40);
  std::memcpy(b.data() + 0x40, "PE\0\0", 4);
  put16(b, 0x44, 0x8664);
  put16(b, 0x46, 1);
  put32(b, 0x4c, 0x700);  // PointerToSymbolTable (no symbols: the string table is right there)
  put16(b, 0x54, 240);
  put16(b, 0x58, 0x20b);
  put32(b, 0x58 + 32, 0x1000);
  put32(b, 0x58 + 36, 0x200);
  put32(b, 0x58 + 56, 0x2000);
  put32(b, 0x58 + 60, 0x400);
  put32(b, 0x58 + 108, 16);
  std::memcpy(b.data() + 0x148, "/4", 2);
  put32(b, 0x148 + 8, 0x300);
  put32(b, 0x148 + 12, 0x1000);
  put32(b, 0x148 + 16, 0x300);
  put32(b, 0x148 + 20, 0x400);
  put32(b, 0x700, 9);
  std::memcpy(b.data() + 0x704, "mods", 5);
  std::memcpy(b.data() + 0x400, area.data(), std::min<size_t>(area.size(), 0x300));
  return b;
}

// grub_module_info64, then modules (type, size with header, body padded to 4).
Bytes modules(bool truncated = false) {
  LeBytes m;
  m.u32(0x676d696d).u32(0).u64(24).u64(0);  // size patched below
  m.u32(0).u32(16).fill(8, 0xcc);           // an ELF module
  m.u32(3).u32(8 + 12).str("/EFI/debian\0", 12);
  m.u32(2).u32(8 + 28).str("normal (memdisk)/grub.cfg\0\0\0", 28);
  m.u32(1).u32(8 + 8).str("MEMDISK!", 8);
  Bytes b = m.b;
  put32(b, 16, static_cast<uint32_t>(truncated ? 0x1000 : b.size()));  // the section: 0x300
  return b;
}

TEST(GrubImage, ReadsPrefixConfigAndMemdisk) {
  const Bytes img = make_image(modules());
  const GrubImage g = parse_grub_image(img, "grubx64.efi");
  EXPECT_EQ(g.modules, 1u);
  EXPECT_EQ(g.prefix, "/EFI/debian");
  EXPECT_EQ(g.config, "normal (memdisk)/grub.cfg");
  EXPECT_EQ(std::string(g.memdisk.begin(), g.memdisk.end()), "MEMDISK!");
}

TEST(GrubImage, RefusesModulesBeyondTheSection) {
  const Bytes img = make_image(modules(true));
  try {
    (void)parse_grub_image(img, "grubx64.efi");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), "grubx64.efi");
    EXPECT_EQ(e.offset(), 0x400u + 8);
  }
}

TEST(GrubImage, RefusesAnImageWithoutModules) {
  Bytes img = make_image(modules());
  std::memcpy(img.data() + 0x704, "text", 4);  // the section is no longer "mods"
  EXPECT_THROW((void)parse_grub_image(img, "x.efi"), Error);
}

}  // namespace
}  // namespace integral
