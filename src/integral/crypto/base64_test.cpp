#include "integral/crypto/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace integral {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string text(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

// RFC 4648 section 10, both ways.
TEST(Base64, PublishedVectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(base64_encode(bytes(plain)), coded);
    auto d = base64_decode(coded);
    ASSERT_TRUE(d) << coded;
    EXPECT_EQ(text(*d), plain);
  }
}

TEST(Base64, RefusesWhatIsNotStrictBase64) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v\n", "Zm 9", "Zg==Zg==", "Zm9*"})
    EXPECT_FALSE(base64_decode(bad)) << bad;
}

}  // namespace
}  // namespace integral
