#include "integral/util/number.h"

#include <gtest/gtest.h>

namespace integral {
namespace {

TEST(ParseUint, DecimalHexAndRejects) {
  EXPECT_EQ(parse_uint("0"), 0u);
  EXPECT_EQ(parse_uint("23"), 23u);
  EXPECT_EQ(parse_uint("0x17"), 23u);
  EXPECT_EQ(parse_uint("0X800000E0"), 0x800000E0u);
  EXPECT_EQ(parse_uint("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "0x", "-1", "1a", " 1", "18446744073709551616", "0x1g"})
    EXPECT_FALSE(parse_uint(bad).has_value()) << bad;
}

TEST(ParseSize, SuffixesAndRejects) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("64K"), 64u * 1024);
  EXPECT_EQ(parse_size("64k"), 64u * 1024);
  EXPECT_EQ(parse_size("3M"), 3u * 1024 * 1024);
  EXPECT_EQ(parse_size("2G"), 2ull * 1024 * 1024 * 1024);
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("M"));
  EXPECT_FALSE(parse_size("5T"));
  EXPECT_FALSE(parse_size("-5M"));
  EXPECT_FALSE(parse_size("0x10"));
  // 2^54 G would need 84 bits.
  EXPECT_FALSE(parse_size("18014398509481984G"));
}

}  // namespace
}  // namespace integral
