#include "integral/formats/pe_sections.h"

#include <gtest/gtest.h>

#include <cstring>

#include "integral/formats/pe.h"
#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"

namespace integral {
namespace {

using testing::put16;
using testing::put32;

// A PE32+ stub laid out by hand: e_lfanew 0x40, COFF header at 0x44, optional header at 0x58
// (240 bytes), section table at 0x148, SizeOfHeaders 0x400 (room for 15 more headers: 0x198 + 15 *
// 40 <= 0x400), FileAlignment 0x200, SectionAlignment 0x1000. Sections: ".text" raw [0x400, +0x200)
// at RVA 0x1000 with VirtualSize 0x180; ".sbat" raw [0x600, +0x200) at RVA 0x2000, VirtualSize
// 0x20. DllCharacteristics has NX_COMPAT.
Bytes make_stub() {
  Bytes b(0x800, 0);
  for (size_t i = 0x400; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 5 + 1);
  b[0] = 'M';
  b[1] = 'Z';
  put32(b, 0x3c, 0x40);
  std::memcpy(b.data() + 0x40, "PE\0\0", 4);
  put16(b, 0x44, 0x8664);
  put16(b, 0x46, 2);
  put16(b, 0x54, 240);
  put16(b, 0x58, 0x20b);
  put32(b, 0x58 + 8, 0x400);    // SizeOfInitializedData
  put32(b, 0x58 + 32, 0x1000);  // SectionAlignment
  put32(b, 0x58 + 36, 0x200);   // FileAlignment
  put32(b, 0x58 + 56, 0x3000);  // SizeOfImage
  put32(b, 0x58 + 60, 0x400);   // SizeOfHeaders
  put32(b, 0x58 + 64, 0xabcd);  // CheckSum
  put16(b, 0x58 + 70, 0x0160);  // DllCharacteristics: NX_COMPAT | DYNAMIC_BASE | HIGH_ENTROPY
  put32(b, 0x58 + 108, 16);
  auto section = [&](size_t h, const char* name, uint32_t vsize, uint32_t rva, uint32_t ptr) {
    std::memcpy(b.data() + h, name, std::strlen(name));
    put32(b, h + 8, vsize);
    put32(b, h + 12, rva);
    put32(b, h + 16, 0x200);
    put32(b, h + 20, ptr);
    put32(b, h + 36, 0x60000020);
  };
  section(0x148, ".text", 0x180, 0x1000, 0x400);
  section(0x170, ".sbat", 0x20, 0x2000, 0x600);
  return b;
}

Bytes text(const char* s) {
  return Bytes(s, s + std::strlen(s));
}

TEST(PeSections, AppendsAfterTheLastSectionOnAlignedBoundaries) {
  const Bytes stub = make_stub();
  const PeNewSection add[] = {{".osrel", text("ID=x\n")}, {".cmdline", Bytes(0x201, 7)}};
  const Bytes out = pe_add_sections(stub, "stub.efi", add);
  const PeImage img = parse_pe(out, "uki.efi");
  ASSERT_EQ(img.sections.size(), 4u);
  // .osrel: after .sbat (RVA 0x2000 + 0x20, rounded to 0x1000), raw at the old file end.
  const PeSection& o = img.sections[2];
  EXPECT_EQ(o.name, ".osrel");
  EXPECT_EQ(o.header_offset, 0x198u);
  EXPECT_EQ(o.virtual_address, 0x3000u);
  EXPECT_EQ(o.virtual_size, 5u);
  EXPECT_EQ(o.pointer_to_raw_data, 0x800u);
  EXPECT_EQ(o.size_of_raw_data, 0x200u);
  // .cmdline: 0x201 bytes take two file-alignment units; RVA after .osrel's 5 bytes.
  const PeSection& c = img.sections[3];
  EXPECT_EQ(c.virtual_address, 0x4000u);
  EXPECT_EQ(c.pointer_to_raw_data, 0xa00u);
  EXPECT_EQ(c.size_of_raw_data, 0x400u);
  EXPECT_EQ(out.size(), 0xe00u);
  EXPECT_EQ(load_le32(out.data() + 0x58 + 56), 0x5000u);            // SizeOfImage: 0x4000+0x201
  EXPECT_EQ(load_le32(out.data() + 0x58 + 64), 0u);                 // CheckSum
  EXPECT_EQ(load_le32(out.data() + 0x58 + 8), 0x400u + 5 + 0x201);  // SizeOfInitializedData
  EXPECT_EQ(load_le32(out.data() + 0x198 + 36), 0x40000040u);       // initialized data, read
  EXPECT_EQ(std::memcmp(out.data() + 0x800, "ID=x\n", 5), 0);
  EXPECT_EQ(out[0x805], 0);
  // The stub's bytes are untouched but for the header fields above.
  EXPECT_TRUE(std::equal(stub.begin() + 0x400, stub.end(), out.begin() + 0x400));
}

TEST(PeSections, ReplacesTheStubsSbatInPlace) {
  const Bytes stub = make_stub();
  // As in a UKI, where .linux and the rest come first: the data up to the next section's is
  // rewritten (ukify refuses to replace the very last section).
  const PeNewSection add[] = {{".osrel", text("x")}, {".sbat", text("sbat,1\nuki,1\n")}};
  const Bytes out = pe_add_sections(stub, "stub.efi", add);
  const PeImage img = parse_pe(out, "uki.efi");
  ASSERT_EQ(img.sections.size(), 3u);
  EXPECT_EQ(img.sections[1].virtual_size, 13u);
  EXPECT_EQ(img.sections[1].pointer_to_raw_data, 0x600u);
  EXPECT_EQ(std::memcmp(out.data() + 0x600, "sbat,1\nuki,1\n", 13), 0);
  EXPECT_EQ(out[0x60d], 0);  // the rest of the stub's section is zeroed
  EXPECT_EQ(out.size(), stub.size() + 0x200);
  EXPECT_EQ(out[0x800], 'x');

  const PeNewSection last[] = {{".sbat", text("sbat,1\n")}};
  EXPECT_THROW(pe_add_sections(stub, "stub.efi", last), Error);
  const PeNewSection big[] = {{".osrel", text("x")}, {".sbat", Bytes(0x201, 'x')}};
  EXPECT_THROW(pe_add_sections(stub, "stub.efi", big), Error);
}

TEST(PeSections, LinuxIsCodeAndTakesAwayNxCompatItLacks) {
  const Bytes stub = make_stub();
  Bytes kernel = make_stub();
  put16(kernel, 0x58 + 70, 0x0060);  // no NX_COMPAT
  const PeNewSection add[] = {{".linux", kernel}};
  Bytes out = pe_add_sections(stub, "stub.efi", add);
  EXPECT_EQ(load_le32(out.data() + 0x198 + 36), 0x40000020u);
  EXPECT_EQ(load_le16(out.data() + 0x58 + 70), 0x0060u);
  // A kernel with NX_COMPAT, or data that is no PE, leaves the flag.
  put16(kernel, 0x58 + 70, 0x0160);
  const PeNewSection nx[] = {{".linux", kernel}};
  EXPECT_EQ(load_le16(pe_add_sections(stub, "stub.efi", nx).data() + 0x58 + 70), 0x0160u);
  const PeNewSection junk[] = {{".linux", text("not a PE")}};
  EXPECT_EQ(load_le16(pe_add_sections(stub, "stub.efi", junk).data() + 0x58 + 70), 0x0160u);
}

TEST(PeSections, PadsUnalignedStubSectionsAndDropsATrailingSymbolTable) {
  Bytes stub = make_stub();
  // .sbat's raw data shrinks to 0x30 bytes, then a symbol table (2 symbols, 8-byte string
  // table) follows it at 0x630.
  put32(stub, 0x170 + 16, 0x30);
  put32(stub, 0x58 + 60, 0x300);  // SizeOfHeaders, unaligned too
  stub.resize(0x630);
  put32(stub, 0x44 + 8, 0x630);
  put32(stub, 0x44 + 12, 2);
  stub.resize(0x630 + 36, 0x11);
  const uint8_t strtab[8] = {8, 0, 0, 0, 'a', 0, 'b', 0};
  stub.insert(stub.end(), strtab, strtab + 8);
  const PeNewSection add[] = {{".osrel", text("x")}};
  const Bytes out = pe_add_sections(stub, "stub.efi", add);
  EXPECT_EQ(load_le32(out.data() + 0x44 + 8), 0u);
  EXPECT_EQ(load_le32(out.data() + 0x44 + 12), 0u);
  EXPECT_EQ(load_le16(out.data() + 0x44 + 18), 0);  // Characteristics as they were (ukify's)
  EXPECT_EQ(load_le32(out.data() + 0x58 + 60), 0x400u);
  const PeImage img = parse_pe(out, "uki.efi");
  EXPECT_EQ(img.sections[1].size_of_raw_data, 0x200u);  // padded back to FileAlignment
  EXPECT_EQ(img.sections[2].pointer_to_raw_data, 0x800u);
  EXPECT_EQ(out.size(), 0xa00u);
}

TEST(PeSections, RefusesSignedStubsFullHeadersAndBadNames) {
  Bytes signed_stub = make_stub();
  put32(signed_stub, 0x58 + 112 + 8 * 4, 0x700);
  put32(signed_stub, 0x58 + 112 + 8 * 4 + 4, 0x100);
  const PeNewSection one[] = {{".osrel", text("x")}};
  EXPECT_THROW(pe_add_sections(signed_stub, "stub.efi", one), Error);

  const Bytes stub = make_stub();
  std::vector<PeNewSection> many;
  for (int i = 0; i < 16; ++i) many.push_back({".s" + std::to_string(i), text("x")});
  try {
    pe_add_sections(stub, "stub.efi", many);
    ADD_FAILURE() << "the 16th header would start at 0x3f0";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("offset 0x3f0"), std::string::npos) << e.what();
  }
  many.pop_back();
  EXPECT_NO_THROW(pe_add_sections(stub, "stub.efi", many));  // 15 do
  const PeNewSection bad[] = {{".toolongname", text("x")}};
  EXPECT_THROW(pe_add_sections(stub, "stub.efi", bad), Error);
}

}  // namespace
}  // namespace integral
