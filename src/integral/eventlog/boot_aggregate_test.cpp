#include "integral/eventlog/boot_aggregate.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral {
namespace {

// PCR i holds the byte i repeated; the aggregates are hashes of those concatenations, written
// out here (and evmctl ima_boot_aggregate, fed the same PCRs, prints the same: see
// tests/ima_peer_test.sh).
PcrSet numbered(const std::vector<HashAlg>& banks) {
  PcrSet s(banks);
  for (HashAlg alg : banks)
    for (unsigned i = 0; i < kPcrCount; ++i) s.set(i, Digest::filled(alg, static_cast<uint8_t>(i)));
  return s;
}

std::vector<uint8_t> concat(HashAlg alg, unsigned last) {
  std::vector<uint8_t> out;
  for (unsigned i = 0; i <= last; ++i)
    out.insert(out.end(), digest_size(alg), static_cast<uint8_t>(i));
  return out;
}

ImaEntry entry(const std::string& alg, const Digest& d,
               const std::string& name = "boot_aggregate") {
  ImaEntry e;
  e.template_name = "ima-ng";
  e.name = name;
  std::vector<uint8_t> f(alg.begin(), alg.end());
  f.push_back(':');
  f.push_back(0);
  f.insert(f.end(), d.bytes().begin(), d.bytes().end());
  for (int i = 0; i < 4; ++i) e.template_data.push_back(static_cast<uint8_t>(f.size() >> (8 * i)));
  e.template_data.insert(e.template_data.end(), f.begin(), f.end());
  return e;
}

TEST(BootAggregate, Sha1CoversPcrs0To7AndOtherBanks0To9) {
  PcrSet s = numbered({HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384});
  EXPECT_EQ(boot_aggregate(s, HashAlg::kSha1), hash(HashAlg::kSha1, concat(HashAlg::kSha1, 7)));
  EXPECT_EQ(boot_aggregate(s, HashAlg::kSha256),
            hash(HashAlg::kSha256, concat(HashAlg::kSha256, 9)));
  EXPECT_EQ(boot_aggregate(s, HashAlg::kSha384),
            hash(HashAlg::kSha384, concat(HashAlg::kSha384, 9)));
  EXPECT_EQ(boot_aggregate(s, HashAlg::kSha256, 7),
            hash(HashAlg::kSha256, concat(HashAlg::kSha256, 7)));
}

TEST(BootAggregate, FirstEntryCheckNamesTheVariant) {
  PcrSet s = numbered({HashAlg::kSha1, HashAlg::kSha256});
  auto now =
      check_boot_aggregate(entry("sha256", hash(HashAlg::kSha256, concat(HashAlg::kSha256, 9))), s);
  EXPECT_TRUE(now.ok());
  EXPECT_EQ(now.matched, "PCRs 0-9");
  auto old =
      check_boot_aggregate(entry("sha256", hash(HashAlg::kSha256, concat(HashAlg::kSha256, 7))), s);
  EXPECT_TRUE(old.ok());
  EXPECT_EQ(old.matched, "PCRs 0-7");
  // The computed value shown is the one that matched (H(PCR 0 || ... || PCR 7)), not 0-9's.
  EXPECT_EQ(old.computed, hash(HashAlg::kSha256, concat(HashAlg::kSha256, 7)).hex());
  EXPECT_EQ(now.computed, hash(HashAlg::kSha256, concat(HashAlg::kSha256, 9)).hex());
  auto sha1 =
      check_boot_aggregate(entry("sha1", hash(HashAlg::kSha1, concat(HashAlg::kSha1, 7))), s);
  EXPECT_TRUE(sha1.ok());
  auto wrong = check_boot_aggregate(entry("sha256", Digest::zero(HashAlg::kSha256)), s);
  EXPECT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.computed, hash(HashAlg::kSha256, concat(HashAlg::kSha256, 9)).hex());
  auto other = check_boot_aggregate(entry("sha256", Digest::zero(HashAlg::kSha256), "/init"), s);
  EXPECT_FALSE(other.is_boot_aggregate);
  EXPECT_FALSE(other.ok());
  EXPECT_THROW(check_boot_aggregate(entry("sha512", Digest::zero(HashAlg::kSha512)), s), Error);
}

}  // namespace
}  // namespace integral
