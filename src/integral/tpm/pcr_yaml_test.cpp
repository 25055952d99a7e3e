#include "integral/tpm/pcr_yaml.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral {
namespace {

// Captured from tpm2_pcrread 5.4 on a fresh swtpm 0.7.1: `tpm2_pcrread sha1:0,9,10,17+sha256:16`.
constexpr const char* kTpm2PcrreadOutput =
    "  sha1:\n"
    "    0 : 0x0000000000000000000000000000000000000000\n"
    "    9 : 0x0000000000000000000000000000000000000000\n"
    "    10: 0x0000000000000000000000000000000000000000\n"
    "    17: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n"
    "  sha256:\n"
    "    16: 0x0000000000000000000000000000000000000000000000000000000000000000\n";

TEST(PcrYaml, WritesTpm2PcrreadLayoutByteForByte) {
  PcrSet fresh({HashAlg::kSha1, HashAlg::kSha256});
  EXPECT_EQ(write_pcr_yaml(fresh, PcrSelection::parse("sha1:0,9,10,17+sha256:16")),
            kTpm2PcrreadOutput);
}

TEST(PcrYaml, ReadsWhatItWritesAndWhatTheToolWrites) {
  auto v = parse_pcr_yaml(kTpm2PcrreadOutput, "t.yaml");
  ASSERT_EQ(v.banks.size(), 2u);
  EXPECT_EQ(v.find(HashAlg::kSha1, 17)->hex(), std::string(40, 'f'));
  EXPECT_EQ(v.find(HashAlg::kSha256, 0), nullptr);
  PcrSet s({HashAlg::kSha384});
  s.extend(4, hash(HashAlg::kSha384, "x"));
  auto back = parse_pcr_yaml(write_pcr_yaml(s), "t.yaml");
  EXPECT_EQ(*back.find(HashAlg::kSha384, 4), s.get(HashAlg::kSha384, 4));
  EXPECT_EQ(back.banks[0].second.size(), 24u);
}

TEST(PcrYaml, MalformedInputNamesFileAndLine) {
  const char* cases[] = {
      "  sha1:\n    0 : 0x00\n",  // short digest
      "  md5:\n    0 : 0x00\n",   // unknown bank
      "  sha1:\n    24: 0x"
      "0000000000000000000000000000000000000000\n",  // PCR out of range
      "- a\n- b\n",                                  // not a map
      "  sha1: [\n",                                 // not YAML
  };
  for (const char* c : cases) {
    try {
      parse_pcr_yaml(c, "pcrs.yaml");
      FAIL() << c;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
      EXPECT_NE(std::string(e.what()).find("pcrs.yaml"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace integral
