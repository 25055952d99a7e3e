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

}  // namespace
}  // namespace integral
