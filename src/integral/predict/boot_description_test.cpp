#include "integral/predict/boot_description.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "integral/chain/replay.h"
#include "integral/predict/prediction.h"
#include "integral/predict/test_boot.h"
#include "integral/util/error.h"

namespace integral {
namespace {

namespace fs = std::filesystem;

class BootDescriptionTest : public testing_support::BootTest {
 protected:
  BootDescriptionTest() : BootTest("boot") {}
  void SetUp() override {
    BootTest::SetUp();
    std::ofstream(dir_ / "root.img", std::ios::binary) << "pretend root image\n";
  }

  Prediction predict(const std::string& toml) { return predict_boot(toml); }

  // Asserts the description is refused as bad input and the message contains `needle`.
  void expect_bad(const std::string& toml, const std::string& needle) {
    const std::string what = refusal(toml);
    if (what.empty()) return;  // accepted: refusal() has failed the test
    EXPECT_NE(what.find("boot.toml"), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
  }
};

TEST_F(BootDescriptionTest, MetaMeasuredExtendsSha1OfTheHexDigest) {
  auto p = predict(R"(banks = ["sha1", "sha256"]
[[stage]]
type = "file"
pcr = 9
path = "root.img"
method = "meta-measured-tpm12"
)");
  ASSERT_EQ(p.chain.events.size(), 1u);
  // By hand: sha1sum of the file, as its 40 lower-case hex characters, SHA-1 hashed again.
  std::string hex = hash(HashAlg::kSha1, "pretend root image\n").hex();
  EXPECT_EQ(hex.size(), 40u);
  Digest extended = hash(HashAlg::kSha1, hex);
  EXPECT_EQ(*p.chain.events[0].digest(HashAlg::kSha1), extended);
  EXPECT_EQ(p.chain.events[0].digest(HashAlg::kSha256), nullptr);
  PcrSet v = p.values();
  EXPECT_EQ(v.get(HashAlg::kSha1, 9), pcr_extend(Digest::zero(HashAlg::kSha1), extended));
  EXPECT_EQ(v.get(HashAlg::kSha256, 9), Digest::zero(HashAlg::kSha256));
}

TEST_F(BootDescriptionTest, Tpm2MethodsAndDigestStageInOrder) {
  std::string d256(64, 'a');
  auto p = predict(R"(banks = ["sha1", "sha256", "sha384"]
[[stage]]
type = "file"
pcr = 16
path = "root.img"
method = "tpm2-pcrextend"
banks = ["sha256"]
[[stage]]
type = "file"
pcr = 16
path = "root.img"
method = "tpm2-pcrevent"
[[stage]]
type = "digest"
pcr = 16
event_type = "EV_IPL"
sha256 = ")" + d256 +
                   R"("
)");
  ASSERT_EQ(p.chain.events.size(), 3u);
  EXPECT_EQ(p.chain.events[0].digests.size(), 1u);
  EXPECT_EQ(p.chain.events[1].digests.size(), 3u);
  EXPECT_EQ(*p.chain.events[1].digest(HashAlg::kSha384),
            hash(HashAlg::kSha384, "pretend root image\n"));
  Digest h = hash(HashAlg::kSha256, "pretend root image\n");
  Digest z = Digest::zero(HashAlg::kSha256);
  Digest expect =
      pcr_extend(pcr_extend(pcr_extend(z, h), h), *Digest::from_hex(HashAlg::kSha256, d256));
  EXPECT_EQ(p.values().get(HashAlg::kSha256, 16), expect);
  EXPECT_EQ(*p.chain.events[2].type, 0xDu);
}

TEST_F(BootDescriptionTest, BadInputNamesFileLineAndProblem) {
  const std::string file_stage = "[[stage]]\ntype = \"file\"\npcr = 9\npath = \"root.img\"\n";
  expect_bad("banks = [\"sha256\"\n", "line");  // malformed TOML
  expect_bad("banks = [\"md5\"]\n" + file_stage, "unknown bank 'md5'");
  expect_bad(file_stage, "needs 'banks'");
  expect_bad("banks = [\"sha1\"]\n", "no [[stage]]");
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"file\"\npcr = 24\npath = \"root.img\"\n",
             "line 4: stage 1 (file): 'pcr' 24 is out of range");
  expect_bad("banks = [\"sha1\"]\n" + file_stage + "colour = \"red\"\n", "'colour' is not a key");
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"file\"\npcr = 9\npath = \"gone.img\"\n",
             "gone.img");
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"kernel\"\n", "'kernel' is not a stage");
  expect_bad(
      "banks = [\"sha1\"]\n" + file_stage + "method = \"tpm2-pcrextend\"\nbanks = [\"sha256\"]\n",
      "does not have");
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"digest\"\npcr = 1\nsha1 = \"00\"\n",
             "40 hex digits");
}

TEST_F(BootDescriptionTest, PredictionJsonRoundTripsAndRefusesTamperedValues) {
  auto p = predict(R"(banks = ["sha1", "sha256"]
startup_locality = 3
[[stage]]
type = "file"
pcr = 0
path = "root.img"
)");
  std::string text = prediction_to_json(p).dump(2);
  Prediction back = prediction_from_json(text, "p.json");
  EXPECT_EQ(back.chain.startup_locality, 3);
  EXPECT_EQ(back.values().get(HashAlg::kSha256, 0), p.values().get(HashAlg::kSha256, 0));
  EXPECT_EQ(back.chain.events[0].provenance.rule, "file/tpm2-pcrextend");

  std::string value = p.values().get(HashAlg::kSha256, 0).hex();
  std::string tampered = text;
  tampered.replace(tampered.find(value), 1, value[0] == '0' ? "1" : "0");
  EXPECT_THROW(prediction_from_json(tampered, "p.json"), Error);
  EXPECT_THROW(prediction_from_json("{\"format\": 1}", "p.json"), Error);
  EXPECT_THROW(prediction_from_json("{", "p.json"), Error);
  // Numbers that are no integer (found by fuzz_prediction_json: 22e38 as the version was an
  // undefined float-to-int conversion): bad input naming the file, as any other bad field.
  for (const char* field : {R"("version": 22e38)", R"("version": 1, "startup_locality": 1e300)",
                            R"("version": 1, "startup_locality": 256)"}) {
    const std::string doc = std::string(R"({"format": "integral-prediction", )") + field +
                            R"(, "banks": ["sha256"], "events": [], "pcrs": {}})";
    try {
      prediction_from_json(doc, "p.json");
      ADD_FAILURE() << "accepted " << doc;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput) << doc;
      EXPECT_EQ(e.file(), "p.json");
    }
  }
}

TEST_F(BootDescriptionTest, AnImageOfTheBuildIsMeasuredByItsBuiltDigestsNotReread) {
  // Digests that are not the file's: the stage must take the build's values, not hash a file.
  ImageArtifacts images;
  const Digest sha1 = hash(HashAlg::kSha1, "the built image");
  const Digest sha256 = hash(HashAlg::kSha256, "the built image");
  images["netvm"] = {dir_ / "netvm.vhd", 4096, {sha1, sha256}, std::nullopt};
  const std::string toml = R"(banks = ["sha1", "sha256"]
[[stage]]
type = "file"
pcr = 9
image = "netvm"
method = "%s"
)";
  std::set<fs::path> inputs;
  auto extend = parse_boot_description(
      std::string(toml).replace(toml.find("%s"), 2, "tpm2-pcrextend"), "boot.toml", dir_);
  Chain c = predict_chain(extend, &images, &inputs);
  ASSERT_EQ(c.events.size(), 1u);
  ASSERT_EQ(c.events[0].digests.size(), 2u);
  EXPECT_EQ(c.events[0].digests[0], sha1);
  EXPECT_EQ(c.events[0].digests[1], sha256);
  EXPECT_EQ(c.events[0].provenance.artifact, (dir_ / "netvm.vhd").string());
  EXPECT_TRUE(inputs.empty()) << "an image is the build's output, not an input read";

  auto meta = parse_boot_description(
      std::string(toml).replace(toml.find("%s"), 2, "meta-measured-tpm12"), "boot.toml", dir_);
  c = predict_chain(meta, &images);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].digests[0], hash(HashAlg::kSha1, sha1.hex()));

  // Refusals: no build, an unknown image, a bank the build did not digest, both or neither.
  auto refuses = [&](const std::string& text, const ImageArtifacts* imgs, const char* needle) {
    auto b = parse_boot_description(text, "boot.toml", dir_);
    try {
      predict_chain(b, imgs);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const std::string pcr_extend = std::string(toml).replace(toml.find("%s"), 2, "tpm2-pcrextend");
  refuses(pcr_extend, nullptr, "only a build description");
  ImageArtifacts other;
  other["dom0"] = images["netvm"];
  refuses(pcr_extend, &other, "'netvm' is not an image of this build");
  ImageArtifacts sha1_only;
  sha1_only["netvm"] = {dir_ / "netvm.vhd", 4096, {sha1}, std::nullopt};
  refuses(pcr_extend, &sha1_only, "not digested in bank sha256");
  refuses(R"(banks = ["sha1"]
[[stage]]
type = "file"
pcr = 9
image = "netvm"
path = "root.img"
)",
          &images, "exactly one of path");
}

}  // namespace
}  // namespace integral
