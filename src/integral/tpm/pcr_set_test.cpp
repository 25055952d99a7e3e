#include "integral/tpm/pcr_set.h"

#include <gtest/gtest.h>

#include "integral/util/hex.h"

namespace integral {
namespace {

TEST(PcrSet, ResetValues) {
  PcrSet s({HashAlg::kSha1, HashAlg::kSha256});
  EXPECT_EQ(s.get(HashAlg::kSha1, 0).hex(), std::string(40, '0'));
  EXPECT_EQ(s.get(HashAlg::kSha1, 16).hex(), std::string(40, '0'));
  EXPECT_EQ(s.get(HashAlg::kSha1, 17).hex(), std::string(40, 'f'));
  EXPECT_EQ(s.get(HashAlg::kSha256, 22).hex(), std::string(64, 'f'));
  EXPECT_EQ(s.get(HashAlg::kSha256, 23).hex(), std::string(64, '0'));
  s.dynamic_launch_reset();
  EXPECT_EQ(s.get(HashAlg::kSha1, 17).hex(), std::string(40, '0'));
}

TEST(PcrSet, StartupLocalityEndsPcr0) {
  PcrSet s({HashAlg::kSha256}, 3);
  EXPECT_EQ(s.get(HashAlg::kSha256, 0).hex(), std::string(62, '0') + "03");
  EXPECT_EQ(s.get(HashAlg::kSha256, 1).hex(), std::string(64, '0'));
}

TEST(PcrSet, ExtendIsHashOfOldConcatenatedWithValue) {
  PcrSet s({HashAlg::kSha256});
  Digest v = hash(HashAlg::kSha256, "abc");
  s.extend(16, v);
  // Derived by hand: SHA256(32 zero bytes || SHA256("abc")).
  Bytes cat(32, 0);
  cat.insert(cat.end(), v.bytes().begin(), v.bytes().end());
  EXPECT_EQ(s.get(HashAlg::kSha256, 16), hash(HashAlg::kSha256, cat));
  EXPECT_THROW(s.extend(16, hash(HashAlg::kSha1, "abc")), std::out_of_range);
  EXPECT_THROW(s.extend(24, v), std::out_of_range);
}

}  // namespace
}  // namespace integral
