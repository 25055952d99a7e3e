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

TEST(Hex, RejectsMalformed) {
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_FALSE(from_hex("0x1").has_value());
  EXPECT_FALSE(from_hex("0x").has_value());
  EXPECT_FALSE(from_hex("0X").has_value());
  EXPECT_EQ(from_hex(""), Bytes{});
  EXPECT_EQ(from_hex("")->size(), 0u);
}

}  // namespace
}  // namespace integral
