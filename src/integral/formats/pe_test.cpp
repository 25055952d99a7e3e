#include "integral/formats/pe.h"

#include <gtest/gtest.h>

#include <cstring>

#include "integral/util/error.h"

namespace integral {
namespace {

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A small PE32+ image laid out by hand: e_lfanew 0x80, optional header at 0x98 (CheckSum at
// 0xd8, Certificate Table entry at 0x128), section table at 0x188, SizeOfHeaders 0x200. Section
// ".data" (first in the table) has its raw data at 0x400, ".text" at 0x200, so file order differs
// from table order; 5 bytes of trailing data follow at 0x600.
std::vector<uint8_t> make_image() {
  std::vector<uint8_t> b(0x605);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  std::memset(b.data() + 0x80, 0, 0x200 - 0x80);
  b[0] = 'M';
  b[1] = 'Z';
  put32(b, 0x3c, 0x80);
  std::memcpy(b.data() + 0x80, "PE\0\0", 4);
  put16(b, 0x84, 0x8664);
  put16(b, 0x86, 2);
  put32(b, 0x88, 0x12345678);  // TimeDateStamp
  put16(b, 0x94, 240);         // SizeOfOptionalHeader
  put16(b, 0x98, 0x20b);
  put32(b, 0x98 + 60, 0x200);  // SizeOfHeaders
  put32(b, 0xd8, 0xdeadbeef);  // CheckSum
  put32(b, 0x98 + 108, 16);    // NumberOfRvaAndSizes
  auto section = [&](size_t h, const char* name, uint32_t vsize, uint32_t ptr) {
    std::memcpy(b.data() + h, name, std::strlen(name));
    put32(b, h + 8, vsize);
    put32(b, h + 12, ptr + 0x1000);
    put32(b, h + 16, 0x200);
    put32(b, h + 20, ptr);
  };
  section(0x188, ".data", 0x100, 0x400);
  section(0x1b0, ".text", 0x300, 0x200);
  return b;
}

std::string join(const std::vector<uint8_t>& b,
                 std::initializer_list<std::pair<size_t, size_t>> ranges) {
  std::string s;
  for (auto [from, to] : ranges)
    s.append(reinterpret_cast<const char*>(b.data() + from), to - from);
  return s;
}

TEST(Pe, ParsesHeadersAndSections) {
  auto b = make_image();
  PeImage img = parse_pe(b, "t.efi");
  EXPECT_TRUE(img.pe32_plus);
  EXPECT_EQ(img.checksum_offset, 0xd8u);
  ASSERT_TRUE(img.cert_dir_offset);
  EXPECT_EQ(*img.cert_dir_offset, 0x128u);
  EXPECT_EQ(img.timestamp_offset, 0x88u);
  ASSERT_EQ(img.sections.size(), 2u);
  const PeSection* data = img.section(".data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->pointer_to_raw_data, 0x400u);
  // VirtualSize bytes as loaded: .data is cut to 0x100, .text is 0x200 raw + 0x100 zeros.
  EXPECT_EQ(section_file_bytes(b, *data).size(), 0x100u);
  EXPECT_EQ(section_zero_fill(*data), 0u);
  EXPECT_EQ(section_file_bytes(b, *img.section(".text")).size(), 0x200u);
  EXPECT_EQ(section_zero_fill(*img.section(".text")), 0x100u);
}

TEST(Pe, AuthenticodeSkipsHolesAndOrdersSectionsByFileOffset) {
  auto b = make_image();
  PeImage img = parse_pe(b, "t.efi");
  std::string expect = join(
      b,
      {{0, 0xd8}, {0xdc, 0x128}, {0x130, 0x200}, {0x200, 0x400}, {0x400, 0x600}, {0x600, 0x605}});
  auto d = authenticode_digests(b, img, std::vector{HashAlg::kSha256, HashAlg::kSha1});
  EXPECT_EQ(d[0], hash(HashAlg::kSha256, expect));
  EXPECT_EQ(d[1], hash(HashAlg::kSha1, expect));
  // The signing tools' view: 3 zero bytes of padding to a multiple of 8.
  auto padded = authenticode_digests(b, img, std::vector{HashAlg::kSha256}, PePadding::kSignTool);
  EXPECT_EQ(padded[0], hash(HashAlg::kSha256, expect + std::string(3, '\0')));

  // CheckSum and the Certificate Table entry are holes: changing them changes nothing.
  put32(b, 0xd8, 1);
  EXPECT_EQ(authenticode_digests(b, parse_pe(b, "t"), std::vector{HashAlg::kSha256})[0], d[0]);
  // The TimeDateStamp is covered.
  b[0x88] ^= 1;
  EXPECT_NE(authenticode_digests(b, parse_pe(b, "t"), std::vector{HashAlg::kSha256})[0], d[0]);
}

TEST(Pe, SignedImageEqualsPaddedUnsigned) {
  auto b = make_image();
  auto unsigned_padded = authenticode_digests(b, parse_pe(b, "u"), std::vector{HashAlg::kSha256},
                                              PePadding::kSignTool)[0];
  // What sbsign does: pad to 8, append a WIN_CERTIFICATE, point the directory entry at it.
  b.resize(0x608, 0);
  b.resize(0x608 + 16, 0xaa);
  put32(b, 0x128, 0x608);
  put32(b, 0x12c, 16);
  PeImage img = parse_pe(b, "s.efi");
  EXPECT_EQ(img.cert_table_size, 16u);
  std::string expect = join(b, {{0, 0xd8}, {0xdc, 0x128}, {0x130, 0x608}});
  auto s = authenticode_digests(b, img, std::vector{HashAlg::kSha256})[0];
  EXPECT_EQ(s, hash(HashAlg::kSha256, expect));
  EXPECT_EQ(s, unsigned_padded);
  // Padding never applies to a signed image.
  EXPECT_EQ(authenticode_digests(b, img, std::vector{HashAlg::kSha256}, PePadding::kSignTool)[0],
            s);
}

void expect_bad(const std::vector<uint8_t>& b, uint64_t offset, const std::string& text) {
  try {
    parse_pe(b, "bad.efi");
    ADD_FAILURE() << "no error for " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_EQ(e.file(), "bad.efi");
    ASSERT_TRUE(e.offset());
    EXPECT_EQ(*e.offset(), offset) << e.message();
    EXPECT_NE(e.message().find(text), std::string::npos) << e.message();
  }
}

TEST(Pe, ErrorsNameTheOffset) {
  auto b = make_image();
  expect_bad({'M', 'Z'}, 0x3c, "beyond the end");
  auto c = b;
  c[0] = 'X';
  expect_bad(c, 0, "MZ");
  c = b;
  c[0x81] = 'X';
  expect_bad(c, 0x80, "PE");
  c = b;
  put16(c, 0x98, 0x107);
  expect_bad(c, 0x98, "magic");
  c = b;
  put32(c, 0x1b0 + 20, 0x500);  // .text raw data runs past the end
  expect_bad(c, 0x1b0 + 16, "section 1 '.text'");
  c = b;
  put32(c, 0x98 + 60, 0x10000);
  expect_bad(c, 0x98 + 60, "SizeOfHeaders");
  c = b;
  put32(c, 0x128, 0x600);
  put32(c, 0x12c, 0x100);
  expect_bad(c, 0x128, "certificate table");
  c = b;
  put16(c, 0x86, 100);  // section table beyond the file
  expect_bad(c, 0x188, "section table");
  c = b;
  c.resize(0x100);
  expect_bad(c, 0x98, "optional header");
}

}  // namespace
}  // namespace integral
