#include "integral/crypto/hash_alg.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral {
namespace {

ExitCode list_error(std::string_view list, std::string* message) {
  try {
    parse_hash_alg_list(list);
  } catch (const Error& e) {
    *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "'" << list << "' was accepted";
  return ExitCode::kOk;
}

TEST(HashAlgList, ItemsInTheOrderGiven) {
  EXPECT_EQ(parse_hash_alg_list("sha256"), std::vector<HashAlg>{HashAlg::kSha256});
  EXPECT_EQ(parse_hash_alg_list("sha384,SHA1,0x000b"),
            (std::vector<HashAlg>{HashAlg::kSha384, HashAlg::kSha1, HashAlg::kSha256}));
  EXPECT_EQ(parse_hash_alg_list("sha1,sha1"),
            (std::vector<HashAlg>{HashAlg::kSha1, HashAlg::kSha1}));
}

TEST(HashAlgList, EmptyTextIsTheEmptyList) {
  EXPECT_TRUE(parse_hash_alg_list("").empty());
}

TEST(HashAlgList, UnknownNamesAndEmptyItemsAreUsageErrors) {
  std::string m;
  EXPECT_EQ(list_error("sha1,md5", &m), ExitCode::kUsage);
  EXPECT_NE(m.find("unknown hash algorithm 'md5'"), std::string::npos) << m;
  EXPECT_EQ(list_error("sha1, sha256", &m), ExitCode::kUsage);  // no trimming
  EXPECT_NE(m.find("' sha256'"), std::string::npos) << m;
  for (std::string_view bad : {"sha1,,sha256", "sha1,", ",sha1", ","}) {
    EXPECT_EQ(list_error(bad, &m), ExitCode::kUsage) << bad;
    EXPECT_NE(m.find("empty item"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace integral
