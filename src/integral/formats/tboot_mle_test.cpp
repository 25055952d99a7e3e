#include "integral/formats/tboot_mle.h"

#include <gtest/gtest.h>

#include <cstring>

#include "integral/formats/gunzip.h"
#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"

namespace integral {
namespace {

using testing::put16;
using testing::put32;

// A minimal ELF32 with one PT_LOAD of 0x300 file bytes and 0x400 memory bytes; the MLE header
// at image offset 0x40 says MLE = [0x100, 0x380) and command line = [0x200, 0x210).
Bytes make_elf() {
  Bytes b(0x100 + 0x300, 0);
  const uint8_t magic[] = {0x7f, 'E', 'L', 'F', 1, 1, 1};
  std::memcpy(b.data(), magic, sizeof(magic));
  put16(b, 16, 2);
  put16(b, 18, 3);
  put32(b, 20, 1);
  put32(b, 28, 52);  // phoff
  put16(b, 42, 32);
  put16(b, 44, 1);
  put32(b, 52, 1);      // PT_LOAD
  put32(b, 56, 0x100);  // offset
  put32(b, 68, 0x300);  // filesz
  put32(b, 72, 0x400);  // memsz
  const size_t img = 0x100;
  std::memcpy(&b[img + 0x40], kMleHeaderUuid, 16);
  put32(b, img + 0x40 + 32, 0x100);
  put32(b, img + 0x40 + 36, 0x380);
  put32(b, img + 0x40 + 44, 0x200);
  put32(b, img + 0x40 + 48, 0x210);
  for (size_t i = img + 0x100; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i);
  return b;
}

// The expected measured bytes, composed by hand from the layout above.
Bytes expected(const std::string& cmdline) {
  auto elf = make_elf();
  Bytes out(elf.begin() + 0x200, elf.end());  // image [0x100, 0x300)
  out.resize(0x280, 0);                       // zero fill up to 0x380
  for (size_t i = 0; i < 0x10; ++i) out[0x100 + i] = i < cmdline.size() ? cmdline[i] : 0;
  return out;
}

TEST(TbootMle, MeasuresMleRangeWithCommandLine) {
  auto m = TbootMle::parse(make_elf(), "t.elf");
  EXPECT_EQ(m.header().image_offset, 0x40u);
  EXPECT_EQ(m.image_size(), 0x400u);
  EXPECT_EQ(m.mle_bytes(std::string("abc")), expected("abc"));
  // Longer than the buffer: tboot copies only what fits.
  EXPECT_EQ(m.mle_bytes(std::string(40, 'x')), expected(std::string(16, 'x')));
  // No command line: the buffer is left as in the file.
  auto raw = m.mle_bytes(std::nullopt);
  EXPECT_EQ(raw[0x100], static_cast<uint8_t>(0x200 + 0x100));
  auto ds = m.mle_hash(std::vector<HashAlg>{HashAlg::kSha1}, std::string("abc"));
  EXPECT_EQ(ds[0], hash(HashAlg::kSha1, expected("abc")));
}

TEST(TbootMle, SkipFilenameMatchesOldTboot) {
  EXPECT_EQ(TbootMle::skip_filename("  /foo/bar   baz x"), "baz x");
  EXPECT_EQ(TbootMle::skip_filename("/tboot.gz"), "");
  EXPECT_EQ(TbootMle::skip_filename(""), "");
}

TEST(TbootMle, RejectsHostileImages) {
  auto b = make_elf();
  put32(b, 72, 0x100);  // memsz < filesz
  EXPECT_THROW(TbootMle::parse(b, "x"), Error);
  b = make_elf();
  put32(b, 68, 0x10000);  // segment beyond the file
  put32(b, 72, 0x10000);
  try {
    TbootMle::parse(b, "t.elf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.offset(), 0x100u);
  }
  b = make_elf();
  put32(b, 0x100 + 0x40 + 36, 0x10000);  // mle_end beyond the image
  try {
    TbootMle::parse(b, "t.elf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.offset(), 0x40u + 36);
  }
  b = make_elf();
  b[0x100 + 0x40] ^= 1;  // no UUID
  EXPECT_THROW(TbootMle::parse(b, "x"), Error);
  auto full = make_elf();
  for (size_t n : {0, 4, 51, 80}) {
    Bytes cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    EXPECT_THROW(TbootMle::parse(cut, "cut"), Error);
  }
}

TEST(Gunzip, RefusesTruncatedAndBombs) {
  // gzip (Python zlib, level 9) of 100000 zero bytes.
  const Bytes gz = *from_hex(
      "1f8b0800000000000203edc13101000000c2a0f54f6d0d0fa00000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000008057037d95"
      "11d4a0860100");
  auto out = gunzip(gz, "z");
  EXPECT_EQ(out.size(), 100000u);
  EXPECT_THROW(gunzip(gz, "z", 1000), Error);
  Bytes cut(gz.begin(), gz.end() - 5);
  EXPECT_THROW(gunzip(cut, "z"), Error);
}

}  // namespace
}  // namespace integral
