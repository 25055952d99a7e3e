#include "integral/crypto/multi_hasher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "integral/util/error.h"

namespace integral {
namespace {

std::vector<uint8_t> random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(MultiHasher, EachBankEqualsItsOwnHashBelowAndAboveThreshold) {
  const std::vector<HashAlg> algs{HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                  HashAlg::kSha512};
  for (size_t n : {size_t{0}, size_t{1000}, MultiHasher::kParallelThreshold * 3 + 17}) {
    auto data = random_bytes(n, static_cast<unsigned>(n));
    MultiHasher mh(algs);
    // Split into uneven updates to exercise both paths.
    size_t half = n / 3;
    mh.update(std::span(data.data(), half));
    mh.update(std::span(data.data() + half, n - half));
    auto got = mh.finish();
    ASSERT_EQ(got.size(), algs.size());
    for (size_t i = 0; i < algs.size(); ++i) EXPECT_EQ(got[i], hash(algs[i], data)) << n;
  }
}

TEST(MultiHasher, HashFileMatchesInMemoryHash) {
  auto data = random_bytes(3 << 20, 7);
  std::string path = testing::TempDir() + "/mh-" + std::to_string(::getpid());
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  }
  const std::vector<HashAlg> algs{HashAlg::kSha1, HashAlg::kSha256};
  auto got = hash_file(path, algs);
  EXPECT_EQ(got[0], hash(HashAlg::kSha1, data));
  EXPECT_EQ(got[1], hash(HashAlg::kSha256, data));
  std::remove(path.c_str());
}

TEST(MultiHasher, HashFileOnPipeAndEmptyFile) {
  // /dev/null is not a regular file: exercises the streaming path, and is empty.
  const std::vector<HashAlg> algs{HashAlg::kSha256};
  EXPECT_EQ(hash_file("/dev/null", algs)[0].hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MultiHasher, MissingFileNamesThePath) {
  const std::vector<HashAlg> algs{HashAlg::kSha256};
  try {
    hash_file("/nonexistent/integral-file", algs);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/integral-file"), std::string::npos);
  }
}

}  // namespace
}  // namespace integral
