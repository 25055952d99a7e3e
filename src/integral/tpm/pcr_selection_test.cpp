#include "integral/tpm/pcr_selection.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral {
namespace {

TEST(PcrSelection, ParsesTpm2ToolsSyntax) {
  auto s = PcrSelection::parse("sha1:0,1,2+sha256:16");
  ASSERT_EQ(s.banks().size(), 2u);
  EXPECT_EQ(s.banks()[0].alg, HashAlg::kSha1);
  EXPECT_TRUE(s.contains(HashAlg::kSha1, 2));
  EXPECT_FALSE(s.contains(HashAlg::kSha1, 16));
  EXPECT_TRUE(s.contains(HashAlg::kSha256, 16));
  EXPECT_EQ(s.to_string(), "sha1:0,1,2+sha256:16");
  EXPECT_EQ(PcrSelection::parse("sha256:all").banks()[0].pcrs.count(), 24u);
  EXPECT_EQ(PcrSelection::parse("sha256:0x10,4-6").to_string(), "sha256:4,5,6,16");
  EXPECT_EQ(PcrSelection::parse("sha256:7+sha256:1").to_string(), "sha256:1,7");
}

TEST(PcrSelection, RejectsBadInputWithUsageError) {
  for (const char* bad : {"", "sha256", "md5:1", "sha256:24", "sha256:x", "sha1:3-1", "sha1:1,"}) {
    try {
      PcrSelection::parse(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage) << bad;
    }
  }
}

TEST(PcrSelection, MarshalsTpmlPcrSelection) {
  // count=1, TPM_ALG_SHA256=0x000B, sizeofSelect=3, PCR 11 -> byte 1 bit 3 = 0x08
  // (the same bytes systemd-measure signs for PCR 11; see shared vectors uki-pcr11 README).
  EXPECT_EQ(to_hex(PcrSelection::parse("sha256:11").marshal()), "00000001000b03000800");
  EXPECT_EQ(to_hex(PcrSelection::parse("sha1:0,23+sha384:8").marshal()),
            "00000002"
            "000403010080"
            "000c03000100");
}

}  // namespace
}  // namespace integral
