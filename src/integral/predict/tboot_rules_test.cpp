#include "integral/predict/tboot_rules.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral {
namespace {

TbootVersion V(unsigned a, unsigned b, unsigned c = 0) {
  return {a, b, c};
}

TEST(TbootRules, VersionParse) {
  EXPECT_EQ(TbootVersion::parse("1.10.2"), V(1, 10, 2));
  EXPECT_EQ(TbootVersion::parse("1.7"), V(1, 7, 0));
  EXPECT_FALSE(TbootVersion::parse("1"));
  EXPECT_FALSE(TbootVersion::parse("1.10.2.1"));
  EXPECT_FALSE(TbootVersion::parse("1.x"));
  EXPECT_FALSE(TbootVersion::parse(""));
  EXPECT_LT(V(1, 9, 12), V(1, 10, 0));
  EXPECT_LT(V(1, 9, 4), V(1, 9, 12));
}

TEST(TbootRules, CmdlineOption) {
  EXPECT_EQ(tboot_cmdline_option("logging=serial pcr_map=da", "pcr_map"), "da");
  EXPECT_EQ(tboot_cmdline_option("extpol=sha1 extpol=embedded", "extpol"), "embedded");
  EXPECT_FALSE(tboot_cmdline_option("xpcr_map=da pcr_map", "pcr_map"));
}

TEST(TbootRules, Mapping) {
  const uint32_t da = kCapsPcrMapDa, nolegacy = kCapsPcrMapNoLegacy, cbnt = kCapsCbnt;
  EXPECT_EQ(choose_pcr_mapping(TpmFamily::k20, V(1, 10, 2), 0, ""), PcrMapping::kDa);
  EXPECT_EQ(choose_pcr_mapping(TpmFamily::k12, V(1, 10, 3), da, ""), PcrMapping::kLegacy);
  EXPECT_EQ(choose_pcr_mapping(TpmFamily::k12, V(1, 10, 3), da, "pcr_map=da"), PcrMapping::kDa);
  EXPECT_EQ(choose_pcr_mapping(TpmFamily::k12, V(1, 10, 3), 0, "pcr_map=da"), PcrMapping::kLegacy);
  // CBnT platforms default to DA from 1.10.2 on, not before.
  EXPECT_EQ(choose_pcr_mapping(TpmFamily::k12, V(1, 10, 2), da | cbnt, ""), PcrMapping::kDa);
  EXPECT_EQ(choose_pcr_mapping(TpmFamily::k12, V(1, 10, 1), da | cbnt, ""), PcrMapping::kLegacy);
  EXPECT_EQ(choose_pcr_mapping(TpmFamily::k12, V(1, 9, 6), da | nolegacy, ""), PcrMapping::kDa);
  EXPECT_THROW(choose_pcr_mapping(TpmFamily::k12, V(1, 9, 6), nolegacy, ""), Error);
}

TEST(TbootRules, ExtendPolicy) {
  const std::vector<HashAlg> both = {HashAlg::kSha1, HashAlg::kSha256};
  auto p = tboot_extend_policy(TpmFamily::k20, V(1, 10, 2), "", both);
  EXPECT_EQ(p.banks, std::vector<HashAlg>{HashAlg::kSha256});
  p = tboot_extend_policy(TpmFamily::k20, V(1, 10, 2), "embedded", both);
  EXPECT_EQ(p.banks, both);
  EXPECT_EQ(p.cur_alg, HashAlg::kSha256);
  p = tboot_extend_policy(TpmFamily::k20, V(1, 10, 5), "agile", both);
  EXPECT_EQ(p.banks, both);
  p = tboot_extend_policy(TpmFamily::k20, V(1, 11, 2), "agile", both);
  EXPECT_EQ(p.banks, std::vector<HashAlg>{HashAlg::kSha256});
  p = tboot_extend_policy(TpmFamily::k20, V(1, 10, 2), "sha1", both);
  EXPECT_EQ(p.banks, std::vector<HashAlg>{HashAlg::kSha1});
  EXPECT_EQ(p.cur_alg, HashAlg::kSha1);
  EXPECT_THROW(tboot_extend_policy(TpmFamily::k20, V(1, 10, 2), "sha384", both), Error);
  EXPECT_THROW(tboot_extend_policy(TpmFamily::k20, V(1, 10, 2), "md5", both), Error);
  p = tboot_extend_policy(TpmFamily::k12, V(1, 10, 3), "sha256", {HashAlg::kSha1});
  EXPECT_EQ(p.banks, std::vector<HashAlg>{HashAlg::kSha1});
}

// The default policies as bytes (research txt.md §1.5 table, from tboot policy.c) and their
// policy events as seen in real logs (vectors A, C, D; F for 1.7; Purley test data for 1.8 DA).
TEST(TbootRules, DefaultPolicies) {
  struct Case {
    TbootVersion v;
    TpmFamily tpm;
    PcrMapping map;
    const char* bytes;
    HashAlg bank;
    const char* event;
  } cases[] = {
      {V(1, 7, 0), TpmFamily::k12, PcrMapping::kLegacy,
       "02000001000000000000000200ff0000000000008113000000000000", HashAlg::kSha1,
       "9704353630674bfe21b86b64a7b0f99c297cf902"},
      {V(1, 10, 3), TpmFamily::k12, PcrMapping::kLegacy,
       "02000401000000000000000300ff00000000000081130000000000008316001000004000", HashAlg::kSha1,
       "c3438497fda827be3b321c5309a204f0c9e53943"},
      {V(1, 8, 0), TpmFamily::k12, PcrMapping::kLegacy,
       "02000401000000000000000300ff00000000000081130000000000008316001000004000", HashAlg::kSha1,
       "c3438497fda827be3b321c5309a204f0c9e53943"},
      {V(1, 10, 3), TpmFamily::k12, PcrMapping::kDa,
       "02000401000000000000000300ff00000000000081130000000000008316001000004000", HashAlg::kSha1,
       "c3438497fda827be3b321c5309a204f0c9e53943"},
      {V(1, 9, 12), TpmFamily::k12, PcrMapping::kLegacy,
       "02000b01000000000000000300ff00000000000081130000000000008316001000004000", HashAlg::kSha1,
       "c1aabfc9fd8e2ac370fc4373810279102ae730c3"},
      {V(1, 10, 2), TpmFamily::k20, PcrMapping::kDa,
       "02000b01000000000000000300ff00000000000081110000000000008316001000004000", HashAlg::kSha256,
       "71be5852a14eabefebf0df0e1acc5da291883b6d4c5ab20914ed987c1daf3f91"},
      {V(1, 10, 2), TpmFamily::k20, PcrMapping::kDa,
       "02000b01000000000000000300ff00000000000081110000000000008316001000004000", HashAlg::kSha1,
       "0afc07618e3739481f4c2abaf703ca4e35507e6e"},
      {V(1, 9, 6), TpmFamily::k20, PcrMapping::kDa,
       "02000401000000000000000300ff00000000000081110000000000008316001000004000", HashAlg::kSha1,
       "ca96de412b4e8c062e570d3013d2fccb4b20250a"},
      {V(1, 9, 6), TpmFamily::k20, PcrMapping::kDa,
       "02000401000000000000000300ff00000000000081110000000000008316001000004000", HashAlg::kSha256,
       "27808f64e6383982cd3bcc10cfcb3457c0b65f465f779d89b668839eaf263a67"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.v.to_string() + " " + std::string(tpm_family_name(c.tpm)));
    const Bytes b = default_tb_policy(c.v, c.tpm, c.map);
    EXPECT_EQ(to_hex(b), c.bytes);
    const HashAlg cur = c.tpm == TpmFamily::k12 ? HashAlg::kSha1 : HashAlg::kSha256;
    EXPECT_EQ(tb_policy_event_digest(b, 1, cur, c.bank).hex(), c.event);
  }
  EXPECT_THROW(default_tb_policy(V(1, 7, 0), TpmFamily::k20, PcrMapping::kDa), Error);
}

TEST(TbootRules, ModulePcrAndCmdline) {
  auto legacy =
      TbPolicy::parse(default_tb_policy(V(1, 10, 3), TpmFamily::k12, PcrMapping::kLegacy), "def");
  EXPECT_EQ(module_policy_pcr(legacy, 0), std::nullopt);
  EXPECT_EQ(module_policy_pcr(legacy, 1), 19u);
  EXPECT_EQ(module_policy_pcr(legacy, 7), 19u);
  auto da = TbPolicy::parse(default_tb_policy(V(1, 10, 2), TpmFamily::k20, PcrMapping::kDa), "def");
  EXPECT_EQ(module_policy_pcr(da, 1), 17u);
  EXPECT_EQ(measured_module_cmdline(V(1, 9, 3), "/vmlinuz root=/dev/sda1 ro"), "root=/dev/sda1 ro");
  EXPECT_EQ(measured_module_cmdline(V(1, 9, 4), "/vmlinuz root=/dev/sda1 ro"),
            "/vmlinuz root=/dev/sda1 ro");
}

}  // namespace
}  // namespace integral
