#include "integral/predict/verify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "integral/util/error.h"

namespace integral {
namespace {

const std::string kData = INTEGRAL_TEST_DATA;

// References: the PCR values captured with each log on the real machine, as
// tests/data/eventlogs/expected_pcrs.json quotes them from go-eventlog, and PCR 10 of the IMA
// vectors from tests/data/ima/*.expected.json (written by the kernel's rule, see the README).
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("integral_verify_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // tpm2_pcrread's YAML of `pcrs` {bank: {pcr: hex}}, with `flip` (bank, pcr) changed.
  std::string readout(const nlohmann::json& pcrs, const std::string& flip_bank = "",
                      const std::string& flip_pcr = "") {
    std::string y;
    for (const auto& [bank, m] : pcrs.items()) {
      y += bank + ":\n";
      for (const auto& [pcr, hex] : m.items()) {
        std::string v = hex.get<std::string>();
        if (bank == flip_bank && pcr == flip_pcr) v.back() = v.back() == '0' ? '1' : '0';
        y += "  " + pcr + " : 0x" + v + "\n";
      }
    }
    auto path = dir_ / "pcrs.yaml";
    std::ofstream(path) << y;
    return path.string();
  }

  std::filesystem::path dir_;
};

nlohmann::json debian10_pcrs() {
  std::ifstream in(kData + "/eventlogs/expected_pcrs.json");
  auto j = nlohmann::json::parse(in);
  return j["vectors"]["debian-10.bin"]["expected"];
}

TEST_F(VerifyTest, FirmwareLogReplayMatchesTheMachinesPcrsAndNamesAChangedOne) {
  LogVerifyRequest r;
  r.log = kData + "/eventlogs/debian-10.bin";
  r.pcrs = readout(debian10_pcrs());
  LogVerification ok = verify_log(r);
  ASSERT_TRUE(ok.pcrs);
  EXPECT_TRUE(ok.ok());
  EXPECT_FALSE(ok.digests);
  EXPECT_FALSE(ok.prediction);
  EXPECT_EQ(ok.pcrs->cmp.checks.size(), debian10_pcrs()["sha1"].size());

  r.pcrs = readout(debian10_pcrs(), "sha1", "7");
  LogVerification bad = verify_log(r);
  EXPECT_FALSE(bad.ok());
  const PcrCheck* first = bad.pcrs->cmp.first_mismatch();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->pcr, 7u);
  EXPECT_EQ(first->alg, HashAlg::kSha1);
  EXPECT_FALSE(first->events.empty());  // the log's events that fed PCR 7
}

// Debian 10's shim hashed its EV_EFI_VARIABLE_AUTHORITY events over EventSize-1 bytes
// (go-eventlog's Debian10GCE workaround): the data check fails until that quirk is named.
TEST_F(VerifyTest, DigestCheckNamesTheQuirkAMatchNeeds) {
  LogVerifyRequest r;
  r.log = kData + "/eventlogs/debian-10.bin";
  r.check_digests = true;
  LogVerification plain = verify_log(r);
  ASSERT_TRUE(plain.digests);
  EXPECT_FALSE(plain.ok());
  EXPECT_FALSE(plain.pcrs);
  r.quirks = {"shim-authority-size"};
  LogVerification quirked = verify_log(r);
  EXPECT_TRUE(quirked.ok());
  EXPECT_EQ(quirked.digests->quirks_needed(), std::vector<std::string>{"shim-authority-size"});
}

TEST_F(VerifyTest, LogWithoutAnythingToCheckIsAUsageError) {
  LogVerifyRequest r;
  r.log = kData + "/eventlogs/debian-10.bin";
  try {
    verify_log(r);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
}

TEST_F(VerifyTest, ImaListReplayAgainstPcr10InEveryBankOfTheReadout) {
  std::ifstream in(kData + "/ima/ima_ng_sig_buf.expected.json");
  auto expected = nlohmann::json::parse(in)["pcr10"];
  nlohmann::json pcrs;
  for (const auto& [bank, hex] : expected.items()) pcrs[bank]["10"] = hex;
  for (const char* form : {"ascii", "bin"}) {
    ImaVerifyRequest r;
    r.log = kData + "/ima/ima_ng_sig_buf." + form;
    r.pcrs = readout(pcrs);
    ImaVerification ok = verify_ima(r);
    EXPECT_TRUE(ok.ok()) << form;
    ASSERT_TRUE(ok.pcrs);
    EXPECT_EQ(ok.pcrs->checks.size(), pcrs.size());
    EXPECT_EQ(ok.format, std::string(form) == "ascii" ? ImaFormat::kAscii : ImaFormat::kBinary);

    r.pcrs = readout(pcrs, "sha256", "10");
    ImaVerification bad = verify_ima(r);
    EXPECT_FALSE(bad.ok());
    ASSERT_TRUE(bad.pcrs->first_mismatch());
    EXPECT_EQ(bad.pcrs->first_mismatch()->alg, HashAlg::kSha256);
    EXPECT_EQ(bad.replay.mismatch_count, 0u);  // the list itself is intact
  }
}

}  // namespace
}  // namespace integral
