#include "integral/formats/tb_policy.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral {
namespace {

Bytes hexb(std::string_view h) {
  return *from_hex(h);
}

// tboot >= 1.10 _def_policy_12 and >= 1.9.12 _def_policy_da, transcribed from tboot's
// policy.c initialisers (research note §1.5).
const char* kDefPolicy12 =
    "02000401000000000000000300ff00000000000081130000000000008316001000004000";
const char* kDefPolicyDa =
    "02000b01000000000000000300ff00000000000081110000000000008316001000004000";

TEST(TbPolicy, ParsesDefaultPolicy) {
  auto p = TbPolicy::parse(hexb(kDefPolicy12), "def12");
  EXPECT_EQ(p.alg(), HashAlg::kSha1);
  EXPECT_EQ(p.policy_control, 1u);
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].mod_num, 0);
  EXPECT_EQ(p.entries[0].pcr, kTbPolPcrNone);
  EXPECT_EQ(p.entries[1].mod_num, kTbPolModNumAny);
  EXPECT_EQ(p.entries[1].pcr, 19);
  EXPECT_EQ(p.entries[2].mod_num, kTbPolModNumNvRaw);
  EXPECT_EQ(p.entries[2].pcr, 22);
  EXPECT_EQ(p.entries[2].nv_index, 0x40000010u);
  EXPECT_EQ(p.raw.size(), 36u);
}

// Policy event digests seen in real launches (txt-stat logs, vectors C and A/B/E).
TEST(TbPolicy, PolicyEventMatchesRealLaunches) {
  auto p12 = hexb(kDefPolicy12);
  EXPECT_EQ(tb_policy_event_digest(p12, 1, HashAlg::kSha1, HashAlg::kSha1).hex(),
            "c3438497fda827be3b321c5309a204f0c9e53943");
  auto pda = hexb(kDefPolicyDa);
  EXPECT_EQ(tb_policy_event_digest(pda, 1, HashAlg::kSha256, HashAlg::kSha256).hex(),
            "71be5852a14eabefebf0df0e1acc5da291883b6d4c5ab20914ed987c1daf3f91");
  EXPECT_EQ(tb_policy_event_digest(pda, 1, HashAlg::kSha256, HashAlg::kSha1).hex(),
            "0afc07618e3739481f4c2abaf703ca4e35507e6e");
  // tboot 1.7 default policy (hash_alg 0 = legacy SHA-1), vector F.
  auto p17 = hexb("02000001000000000000000200ff0000000000008113000000000000");
  EXPECT_EQ(TbPolicy::parse(p17, "p17").alg(), HashAlg::kSha1);
  EXPECT_EQ(tb_policy_event_digest(p17, 1, HashAlg::kSha1, HashAlg::kSha1).hex(),
            "9704353630674bfe21b86b64a7b0f99c297cf902");
}

TEST(TbPolicy, ControlWithoutExtendHashesZeros) {
  auto p = hexb(kDefPolicy12);
  std::string expect = std::string("\0\0\0\0", 4) + std::string(20, '\0');
  EXPECT_EQ(tb_policy_event_digest(p, 0, HashAlg::kSha1, HashAlg::kSha1),
            hash(HashAlg::kSha1, expect));
}

TEST(TbPolicy, ModuleDigestIsHashOfHashes) {
  // Module 1 (initrd) of vector A has the empty command line: its digest is
  // H(H("") || H(image)); check the structure against a by-hand composition.
  const uint8_t img[3] = {1, 2, 3};
  auto d = tb_module_digest(HashAlg::kSha256, "ro quiet", img);
  // The digests are named: a range-for over a temporary's bytes() would outlive it.
  const Digest h_cmdline = hash(HashAlg::kSha256, std::string_view("ro quiet"));
  const Digest h_image = hash(HashAlg::kSha256, std::span<const uint8_t>(img));
  std::string cat;
  for (auto b : h_cmdline.bytes()) cat.push_back(char(b));
  for (auto b : h_image.bytes()) cat.push_back(char(b));
  EXPECT_EQ(d, hash(HashAlg::kSha256, cat));
}

TEST(TbPolicy, RejectsTruncatedAndLying) {
  auto p = hexb(kDefPolicy12);
  for (size_t n = 0; n < p.size(); ++n) {
    Bytes cut(p.begin(), p.begin() + static_cast<ptrdiff_t>(n));
    EXPECT_THROW(TbPolicy::parse(cut, "cut"), Error) << n;
  }
  Bytes lying = p;
  lying[11] = 200;  // num_entries beyond the data
  try {
    TbPolicy::parse(lying, "lying.pol");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), "lying.pol");
    EXPECT_EQ(e.offset(), 36u);  // the 4th entry would start where the data ends
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
  }
  Bytes badalg = p;
  badalg[2] = 0x77;
  EXPECT_THROW(TbPolicy::parse(badalg, "x"), Error);
}

}  // namespace
}  // namespace integral
