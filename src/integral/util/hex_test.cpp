#include "integral/util/hex.h"

#include <gtest/gtest.h>

namespace integral {
namespace {

TEST(Hex, RoundTrip) {
  Bytes b{0x00, 0x7f, 0x80, 0xff, 0x1a};
  EXPECT_EQ(to_hex(b), "007f80ff1a");
  EXPECT_EQ(to_hex(b, true), "007F80FF1A");
  EXPECT_EQ(from_hex("007F80ff1A"), b);
  EXPECT_EQ(from_hex("0x007f80ff1a"), b);
}

// append_hex adds to what the buffer holds and takes no prefix ("0x" is not a hex digit pair).
TEST(Hex, AppendHexAppendsWithoutPrefix) {
  Bytes b{0x01};
  ASSERT_TRUE(append_hex(b, "A0ff"));
  EXPECT_EQ(b, (Bytes{0x01, 0xa0, 0xff}));
  ASSERT_TRUE(append_hex(b, ""));
  EXPECT_EQ(b.size(), 3u);
  Bytes c;
  EXPECT_FALSE(append_hex(c, "0x00"));
  EXPECT_FALSE(append_hex(c, "abc"));
  EXPECT_FALSE(append_hex(c, "0g"));
}

TEST(Hex, RejectsMalformed) {
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_FALSE(from_hex("0x1").has_value());
  EXPECT_FALSE(from_hex("0x").has_value());
  EXPECT_FALSE(from_hex("0X").has_value());
  EXPECT_EQ(from_hex(""), Bytes{});
  EXPECT_EQ(from_hex("")->size(), 0u);
}

TEST(Hex, ParseUuid) {
  auto u = parse_uuid("01234567-89ab-cdef-0123-456789ABCDEF");
  ASSERT_TRUE(u);
  EXPECT_EQ(to_hex(*u), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(parse_uuid("0123456789abcdef0123456789abcdef"), u);
  EXPECT_FALSE(parse_uuid("0123456789abcdef0123456789abcd"));
  EXPECT_FALSE(parse_uuid("0x23456789abcdef0123456789abcdef"));
  EXPECT_FALSE(parse_uuid("g123456789abcdef0123456789abcdef"));
}

}  // namespace
}  // namespace integral
