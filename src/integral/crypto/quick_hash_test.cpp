#include "integral/crypto/quick_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace integral {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// FIPS 180-2 "abc" vectors, split across the two inputs.
TEST(QuickHash, PublishedVectorsForAbc) {
  const std::string ab = "ab", c = "c";
  EXPECT_EQ(QuickHasher(HashAlg::kSha1).digest(bytes(ab), bytes(c)).hex(),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(QuickHasher(HashAlg::kSha256).digest(bytes(ab), bytes(c)).hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(QuickHasher(HashAlg::kSha384).digest(bytes(ab), bytes(c)).hex(),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(QuickHasher(HashAlg::kSha512).digest(bytes(ab), bytes(c)).hex(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(QuickHash, EqualsEvpForEveryAlgorithmAndLength) {
  std::string msg;
  for (int i = 0; i < 300; ++i) msg += static_cast<char>(i * 7);
  for (HashAlg alg : all_hash_algs()) {
    if (!hash_alg_available(alg)) continue;
    QuickHasher q(alg);
    for (size_t n : {0, 1, 40, 55, 56, 64, 111, 112, 128, 300}) {
      SCOPED_TRACE(std::string(hash_alg_name(alg)) + " " + std::to_string(n));
      auto m = bytes(msg).first(n);
      EXPECT_EQ(q.digest(m), hash(alg, m));
      EXPECT_EQ(q.digest(m.first(n / 2), m.subspan(n / 2)), hash(alg, m));
    }
  }
}

}  // namespace
}  // namespace integral
