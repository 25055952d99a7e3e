#include "integral/formats/txt_acm.h"

#include <gtest/gtest.h>

#include <cstring>

#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"

namespace integral {
namespace {

using testing::put16;
using testing::put32;

// A header-v0.0 SINIT laid out as tboot's acm_hdr_t describes it.
Bytes make_acm(size_t size = 0x1000) {
  Bytes b(size, 0);
  put16(b, 0, 2);
  put32(b, 4, 0xA1);
  put16(b, 12, 0xb00b);
  put32(b, 16, 0x8086);
  put32(b, 20, 0x20200101);
  put32(b, 24, static_cast<uint32_t>(size / 4));
  put32(b, 120, 0x40);
  put32(b, 124, 143);
  for (size_t i = 128; i < 0x4C0; ++i) b[i] = 0xEE;  // key, exponent, signature, scratch
  const uint8_t uuid[16] = {0xaa, 0x3a, 0xc0, 0x7f, 0xa7, 0x46, 0xdb, 0x18,
                            0x2e, 0xac, 0x69, 0x8f, 0x8d, 0x41, 0x7f, 0x5a};
  std::memcpy(&b[0x4C0], uuid, 16);
  b[0x4C0 + 16] = 1;  // SINIT
  b[0x4C0 + 17] = 5;
  put32(b, 0x4C0 + 20, 0x800);
  put32(b, 0x4C0 + 24, 7);
  put32(b, 0x4C0 + 32, 0x36e);
  put32(b, 0x4C0 + 40, 0x900);
  put32(b, 0x4C0 + 44, 0xa00);
  put32(b, 0x800, 1);
  put32(b, 0x804, 1);
  put16(b, 0x808, 0x8086);
  put16(b, 0x80a, 0xb005);
  put32(b, 0x900, 1);
  put32(b, 0x904, 0x306c0);
  put32(b, 0xa00, 0x51);
  put16(b, 0xa04, 2);
  put16(b, 0xa06, 4);
  put16(b, 0xa08, 11);
  return b;
}

TEST(TxtAcm, DecodesHeaderAndInfoTable) {
  auto a = TxtAcm::parse(make_acm(), "acm");
  EXPECT_EQ(a.header().chipset_id, 0xb00b);
  EXPECT_EQ(a.user_area_offset(), 0x4C0u);
  ASSERT_TRUE(a.info());
  EXPECT_TRUE(a.is_sinit());
  EXPECT_EQ(a.info()->capabilities, 0x36eu);
  EXPECT_EQ(a.info()->os_sinit_data_ver, 7u);
  ASSERT_EQ(a.info()->chipsets.size(), 1u);
  EXPECT_EQ(a.info()->chipsets[0].device_id, 0xb005u);
  ASSERT_EQ(a.info()->processors.size(), 1u);
  EXPECT_EQ(a.info()->processors[0].fms, 0x306c0u);
  EXPECT_EQ(a.info()->tpm_algs, (std::vector<uint16_t>{4, 11}));
}

TEST(TxtAcm, HashedRegionSkipsKeySignatureAndScratch) {
  auto bytes = make_acm();
  auto a = TxtAcm::parse(bytes, "acm");
  Bytes expect(bytes.begin(), bytes.begin() + 128);
  expect.insert(expect.end(), bytes.begin() + 0x4C0, bytes.end());
  EXPECT_EQ(a.hashed_region(), expect);
  EXPECT_EQ(a.acm_hash(), hash(HashAlg::kSha256, expect));
  // Changing the signature does not change the measurement; changing the user area does.
  bytes[400] ^= 1;
  EXPECT_EQ(TxtAcm::parse(bytes, "acm").acm_hash(), a.acm_hash());
  bytes[0x600] ^= 1;
  EXPECT_NE(TxtAcm::parse(bytes, "acm").acm_hash(), a.acm_hash());
  auto data = a.hash_start_data(0);
  ASSERT_EQ(data.size(), 36u);
  EXPECT_EQ(data[32] | data[33] | data[34] | data[35], 0);
}

TEST(TxtAcm, RejectsLyingSizes) {
  auto b = make_acm();
  put32(b, 24, 0x10000);  // Size beyond the file
  try {
    TxtAcm::parse(b, "sinit.bin");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.offset(), 24u);
    EXPECT_EQ(e.file(), "sinit.bin");
  }
  b = make_acm();
  put32(b, 124, 0x100000);  // scratch past the end
  EXPECT_THROW(TxtAcm::parse(b, "x"), Error);
  b = make_acm();
  put32(b, 0x800, 0xffff);  // chipset count beyond the data
  EXPECT_THROW(TxtAcm::parse(b, "x"), Error);
  b = make_acm();
  put32(b, 0x4C0 + 44, 0xfffffff0);  // TPM info list offset outside
  EXPECT_THROW(TxtAcm::parse(b, "x"), Error);
  auto full = make_acm();
  for (size_t n : {0, 10, 127}) {
    Bytes cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    EXPECT_THROW(TxtAcm::parse(cut, "cut"), Error);
  }
}

}  // namespace
}  // namespace integral
