#include "integral/tpm/policy_pcr.h"

#include <gtest/gtest.h>

#include "integral/util/hex.h"

namespace integral {
namespace {

TEST(PolicyPcr, SystemdMeasureVectorForPcr11) {
  // tests/data/uki-pcr11: systemd-measure 252 `sign` (policy computed by a real
  // swtpm) for PCR 11 sha256 = e41a4c8c...4176 gave pol adde50fa... (sign.json); the README
  // there derives it as SHA256(0^32 || 0000017F || {1, sha256, 3, 00 08 00} || SHA256(PCR11)).
  PcrSet v({HashAlg::kSha256});
  v.set(11, *Digest::from_hex(HashAlg::kSha256,
                              "e41a4c8cbfc83a3dbf3126e3e0da02ff6293d2ccffc91eb995e81697361f4176"));
  Digest pol = policy_pcr_digest(PcrSelection::parse("sha256:11"), v);
  // Independent derivation inside the test, from the formula.
  Bytes msg(32, 0);
  for (int b : {0x00, 0x00, 0x01, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0B, 0x03, 0x00, 0x08, 0x00})
    msg.push_back(static_cast<uint8_t>(b));
  auto pd = hash(HashAlg::kSha256, v.get(HashAlg::kSha256, 11).bytes());
  msg.insert(msg.end(), pd.bytes().begin(), pd.bytes().end());
  EXPECT_EQ(pol, hash(HashAlg::kSha256, msg));
  EXPECT_EQ(pol.hex(), "adde50faeefad352d622439110644f82a40edd71472e6741c8b210555d71b798");
}

}  // namespace
}  // namespace integral
