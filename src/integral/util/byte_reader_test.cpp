#include "integral/util/byte_reader.h"

#include <gtest/gtest.h>

#include <vector>

#include "integral/util/bytes.h"
#include "integral/util/error.h"

namespace integral {
namespace {

// Offset of the Error thrown by f, or -1 when none is thrown.
template <typename F>
int64_t error_offset(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_EQ(e.file(), "in.bin");
    if (message) *message = e.message();
    return e.offset() ? static_cast<int64_t>(*e.offset()) : -2;
  }
  return -1;
}

const std::vector<uint8_t> kData = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

TEST(ByteReader, CursorReadsLittleEndianInOrder) {
  ByteReader r(kData, "in.bin", 100);
  EXPECT_EQ(r.u8("a"), 0x01);
  EXPECT_EQ(r.u16("b"), 0x0302);
  EXPECT_EQ(r.offset(), 103u);  // base + position
  EXPECT_EQ(r.u32("c"), 0x07060504u);
  EXPECT_EQ(r.remaining(), 2u);
  auto rest = r.bytes(2, "d");
  EXPECT_EQ(rest[0], 0x08);
  EXPECT_TRUE(r.at_end());
}

TEST(ByteReader, CursorFailsBeforeReadingPastTheEnd) {
  ByteReader r(kData, "in.bin", 100);
  r.skip(6, "head");
  std::string msg;
  // 3 bytes remain: a u64 is refused at the cursor's absolute offset, naming the field.
  EXPECT_EQ(error_offset([&] { r.u64("counter"); }, &msg), 106);
  EXPECT_NE(msg.find("counter"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_EQ(r.pos(), 6u);  // a failed read does not move the cursor
  // A length near 2^64 must not wrap around the check.
  EXPECT_EQ(error_offset([&] { r.bytes(UINT64_MAX, "blob"); }), 106);
}

TEST(ByteReader, RandomAccessByOffset) {
  const ByteReader r(kData, "in.bin", 0x1000);
  EXPECT_EQ(r.u64(1, "q"), 0x0908070605040302u);
  EXPECT_EQ(r.u32(5, "d"), 0x09080706u);
  EXPECT_EQ(r.u16(0, "w"), 0x0201);
  std::string msg;
  EXPECT_EQ(error_offset([&] { r.u32(6, "tail"); }, &msg), 0x1006);
  EXPECT_NE(msg.find("beyond the end"), std::string::npos) << msg;
  // An offset past the end, and one that would overflow offset + len.
  EXPECT_EQ(error_offset([&] { r.u8(10, "x"); }), 0x100a);
  EXPECT_EQ(error_offset([&] { r.bytes(2, UINT64_MAX - 1, "x"); }), 0x1002);
}

TEST(ByteReader, ContextPrefixesMessages) {
  ByteReader r(kData, "in.bin");
  r.set_context("PE image");
  std::string msg;
  EXPECT_EQ(error_offset([&] { r.fail(3, "bad magic"); }, &msg), 3);
  EXPECT_EQ(msg, "PE image: bad magic");
}

TEST(Bytes, LittleEndianLoadsAndAppendsRoundTrip) {
  Bytes b;
  append_le16(b, 0xbeef);
  append_le32(b, 0x12345678u);
  append_le64(b, 0x0102030405060708u);
  // Written least significant byte first (derived by hand).
  EXPECT_EQ(b, (Bytes{0xef, 0xbe, 0x78, 0x56, 0x34, 0x12, 8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(load_le16(b.data()), 0xbeef);
  EXPECT_EQ(load_le32(b.data() + 2), 0x12345678u);
  EXPECT_EQ(load_le64(b.data() + 6), 0x0102030405060708u);
  std::string s;
  append_le32(s, 0x41424344u);
  EXPECT_EQ(s, "DCBA");
}

}  // namespace
}  // namespace integral
