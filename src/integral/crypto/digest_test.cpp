#include "integral/crypto/digest.h"

#include <gtest/gtest.h>

namespace integral {
namespace {

// FIPS 180-2 "abc" vectors (published in the standard's appendices).
TEST(Digest, PublishedVectorsForAbc) {
  EXPECT_EQ(hash(HashAlg::kSha1, "abc").hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hash(HashAlg::kSha256, "abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash(HashAlg::kSha384, "abc").hex(),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(hash(HashAlg::kSha512, "abc").hex(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Digest, IncrementalEqualsOneShotAndHasherResets) {
  Hasher h(HashAlg::kSha256);
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.finish(), hash(HashAlg::kSha256, "abc"));
  h.update("abc");
  EXPECT_EQ(h.finish(), hash(HashAlg::kSha256, "abc"));
}

TEST(Digest, HexParsingChecksLength) {
  EXPECT_TRUE(Digest::from_hex(HashAlg::kSha1, std::string(40, 'a')).has_value());
  EXPECT_FALSE(Digest::from_hex(HashAlg::kSha1, std::string(64, 'a')).has_value());
  EXPECT_FALSE(Digest::from_hex(HashAlg::kSha256, "xyz").has_value());
  EXPECT_EQ(Digest::filled(HashAlg::kSha1, 0xff).hex(true), std::string(40, 'F'));
}

TEST(HashAlg, NamesAndIds) {
  EXPECT_EQ(parse_hash_alg("SHA256"), HashAlg::kSha256);
  EXPECT_EQ(parse_hash_alg("0x000b"), HashAlg::kSha256);
  EXPECT_EQ(parse_hash_alg("4"), HashAlg::kSha1);
  EXPECT_FALSE(parse_hash_alg("md5").has_value());
  EXPECT_FALSE(parse_hash_alg("0x0001").has_value());
  EXPECT_EQ(hash_alg_name(HashAlg::kSha384), "sha384");
  EXPECT_EQ(digest_size(HashAlg::kSha512), 64u);
  EXPECT_EQ(static_cast<uint16_t>(HashAlg::kSm3_256), 0x12);
}

}  // namespace
}  // namespace integral
