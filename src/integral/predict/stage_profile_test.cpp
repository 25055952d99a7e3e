// The profile stage on real third-party logs (go-eventlog's rhel8 and debian-10 GCE logs, a
// laptop's log with StartupLocality 3): the PCRs it copies must equal the TPM's real values
// published with the logs, and with the boot applications' Authenticode digests published by
// go-eventlog (tpmeventlog/extract_test.go ExpectedEFIAppDigests) fed to uefi-app, PCR 4
// must equal the real PCR 4 and the log's own PCR 4 events.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "integral/chain/compare.h"
#include "integral/chain/event_type.h"
#include "integral/chain/replay.h"
#include "integral/eventlog/event_log.h"
#include "integral/predict/boot_description.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/hex.h"

namespace integral {
namespace {

namespace fs = std::filesystem;

const fs::path kLogs = fs::path(INTEGRAL_TEST_DATA) / "eventlogs";

std::string expected(const std::string& vector, const std::string& bank, unsigned pcr) {
  static const auto json = nlohmann::json::parse(read_text_file(kLogs / "expected_pcrs.json"));
  return json["vectors"][vector]["expected"][bank][std::to_string(pcr)].get<std::string>();
}

Chain predict(const std::string& toml, const fs::path& dir = kLogs) {
  auto boot = parse_boot_description(toml, "boot.toml", dir);
  return predict_chain(boot);
}

void expect_bad(const std::string& toml, const std::string& needle, const fs::path& dir = kLogs) {
  try {
    predict(toml, dir);
    FAIL() << "accepted: " << toml;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// go-eventlog ExpectedEFIAppDigests for rhel8-uefi.bin: shim, grub, kernel.
const char* kRhel8Apps =
    "image_digests = ["
    "\"sha1:95f400d9003b4e8c0cb4734efcf547e36fc4100c,"
    "sha256:40d6cae02973789080cf4c3a9ad11b5a0a4d8bba4438ab96e276cc784454dee7,"
    "sha384:66de9a210659294720af06838309fc1f4d0de82c646a62c1dd9f068cd331d2e05fd666377dbc11e84a79"
    "6ce00108ab19\",\n"
    "\"sha1:4f60d11ad6ac9a76837834f1371bc9521d018779,"
    "sha256:e8a268c431da72caaae407f729f602b9dbf5d1d43492d4a51cc2b688a08586e3,"
    "sha384:c1d031b07446588fa50f4eec3d8520d99ed01f21350b9c581e13f4c5a8c712cb5e3cbecc41ccab744655"
    "43439f7eb1e6\",\n"
    "\"sha1:075f3bc8c7363c35a87ce56c604fa9201a97f79d,"
    "sha256:e4c0382f98feaebfd43923a85fd6da9a20e1a48524a4d5928c31850ca1a96a6e,"
    "sha384:d844e63b32a73aadde4f78dda7cb7df73d75114f3a5964401847eb716142a06607ea95efee20f51283e8"
    "5afca8da3afd\"]\n";

TEST(ProfileStage, Rhel8ProfilePlusPublishedAppDigestsIsTheRealPcr4) {
  const std::vector<HashAlg> banks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384};
  Chain c = predict(
      "banks = [\"sha1\", \"sha256\", \"sha384\"]\n"
      "[[stage]]\ntype = \"profile\"\nlog = \"rhel8-uefi.bin\"\n"
      "[[stage]]\ntype = \"uefi-app\"\n" +
      std::string(kRhel8Apps));
  PcrSet v = replay(c, banks);
  for (const char* bank : {"sha1", "sha256"}) {
    HashAlg alg = *parse_hash_alg(bank);
    // PCR 4: the profile's action and separator, then the three given applications.
    EXPECT_EQ(v.get(alg, 4).hex(), expected("rhel8-uefi.bin", bank, 4)) << bank;
    // Copied whole from the profile: the firmware's PCRs.
    for (unsigned pcr : {0u, 1u, 2u, 3u, 6u})
      EXPECT_EQ(v.get(alg, pcr).hex(), expected("rhel8-uefi.bin", bank, pcr)) << bank << pcr;
  }
  // Event by event, in every bank the log has (sha384 too), PCR 4 equals the log's.
  EventLog log = load_event_log((kLogs / "rhel8-uefi.bin").string());
  for (const auto& d : compare_chains(c, log.chain(), banks))
    EXPECT_NE(d.pcr, 4u) << "PCR 4 " << hash_alg_name(d.alg) << " differs at " << d.position;
  // Provenance names the log and the event number; PCR 4's copied events stop at the separator.
  size_t pcr4 = 0;
  for (const Event& e : c.events) {
    EXPECT_LE(e.pcr, 7u);
    if (e.pcr == 4 && e.provenance.rule == "profile/copy") ++pcr4;
    if (e.provenance.rule == "profile/copy") {
      EXPECT_NE(e.provenance.artifact.find("rhel8-uefi.bin, event #"), std::string::npos);
    }
  }
  EXPECT_EQ(pcr4, 2u);  // "Calling EFI Application from Boot Option", separator
  // PCR 7 stops at the separator: shim's authority events after it are not copied.
  PcrSet only = replay(predict("banks = [\"sha256\"]\n[[stage]]\ntype = \"profile\"\n"
                               "log = \"rhel8-uefi.bin\"\n"),
                       {HashAlg::kSha256});
  EXPECT_NE(only.get(HashAlg::kSha256, 7).hex(), expected("rhel8-uefi.bin", "sha256", 7));
}

TEST(ProfileStage, Debian10Sha1LogAndPublishedAppDigests) {
  // A TCG 1.2-format (SHA-1) log; go-eventlog's three PCR 4 application digests.
  Chain c = predict(
      "banks = [\"sha1\"]\n[[stage]]\ntype = \"profile\"\nlog = \"debian-10.bin\"\n"
      "[[stage]]\ntype = \"uefi-app\"\nimage_digests = ["
      "\"sha1:47263679db883d7ad9adbc93d6a1fbf8095f0133\", "
      "\"sha1:3fae23b18d72350207661af3875f2c492e97621c\", "
      "\"sha1:89b08941b47dcfbd4c8b3f2bc0fad984cd836b21\"]\n");
  PcrSet v = replay(c, {HashAlg::kSha1});
  for (unsigned pcr : {0u, 1u, 2u, 3u, 4u, 6u})
    EXPECT_EQ(v.get(HashAlg::kSha1, pcr).hex(), expected("debian-10.bin", "sha1", pcr)) << pcr;
  expect_bad("banks = [\"sha256\"]\n[[stage]]\ntype = \"profile\"\nlog = \"debian-10.bin\"\n",
             "no sha256 digests");
}

TEST(ProfileStage, StartupLocalityMustAgree) {
  expect_bad("banks = [\"sha256\"]\n[[stage]]\ntype = \"profile\"\nlog = \"glinux-alex.bin\"\n",
             "startup_locality = 3");
  auto boot = parse_boot_description(
      "banks = [\"sha1\", \"sha256\"]\nstartup_locality = 3\n[[stage]]\n"
      "type = \"profile\"\nlog = \"glinux-alex.bin\"\n",
      "boot.toml", kLogs);
  Chain c = predict_chain(boot);
  PcrSet w = replay(c, {HashAlg::kSha1, HashAlg::kSha256});
  for (const char* bank : {"sha1", "sha256"})
    for (unsigned pcr : {0u, 1u, 2u, 3u, 6u})
      EXPECT_EQ(w.get(*parse_hash_alg(bank), pcr).hex(), expected("glinux-alex.bin", bank, pcr))
          << bank << pcr;
}

// A SHA-1 format log (TCG_PCR_EVENT records) built by hand.
void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}
void add_event(std::string& log, uint32_t pcr, uint32_t type, const std::string& data) {
  put32(log, pcr);
  put32(log, type);
  auto d = hash(HashAlg::kSha1, data);
  log.append(reinterpret_cast<const char*>(d.bytes().data()), d.bytes().size());
  put32(log, static_cast<uint32_t>(data.size()));
  log += data;
}

TEST(ProfileStage, RefusesIncompleteLogsAndPreBootImages) {
  fs::path dir = fs::path(testing::TempDir()) / ("integral-profile-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string sep(4, '\0');
  std::string base;
  add_event(base, 0, ev::kSCrtmVersion, "v1");
  std::string noseps = base;
  add_event(noseps, 4, ev::kEfiAction, "Calling EFI Application from Boot Option");
  std::ofstream(dir / "noseps.bin", std::ios::binary) << noseps;
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"profile\"\nlog = \"noseps.bin\"\n",
             "no EV_SEPARATOR in PCR 4", dir);
  std::string kernel = base;
  add_event(kernel, 4, ev::kEfiBootServicesApplication, "image");
  for (unsigned pcr = 0; pcr <= 7; ++pcr) add_event(kernel, pcr, ev::kSeparator, sep);
  std::ofstream(dir / "kernel.bin", std::ios::binary) << kernel;
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"profile\"\nlog = \"kernel.bin\"\n",
             "event #1: a UEFI application", dir);
  // After the separators: PCR 4/5/7 events are dropped, PCR 0-3/6 events kept.
  std::string good = base;
  for (unsigned pcr = 0; pcr <= 7; ++pcr) add_event(good, pcr, ev::kSeparator, sep);
  add_event(good, 4, ev::kEfiBootServicesApplication, "image");
  add_event(good, 5, ev::kEfiAction, "Exit Boot Services Invocation");
  add_event(good, 6, ev::kEventTag, "late platform event");
  add_event(good, 9, ev::kEventTag, "initrd");
  std::ofstream(dir / "good.bin", std::ios::binary) << good;
  Chain c = predict("banks = [\"sha1\"]\n[[stage]]\ntype = \"profile\"\nlog = \"good.bin\"\n", dir);
  ASSERT_EQ(c.events.size(), 10u);  // S-CRTM, 8 separators, the PCR 6 event
  EXPECT_EQ(c.events[9].pcr, 6u);
  EXPECT_EQ(c.events[9].provenance.artifact,
            "profile " + (dir / "good.bin").string() + ", event #11");
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"profile\"\nlog = \"nope.bin\"\n", "nope.bin",
             dir);
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"uefi-app\"\nimage_digests = [\"sha1:12\"]\n",
             "not ALG:HEX", dir);
  expect_bad(
      "banks = [\"sha1\", \"sha256\"]\n[[stage]]\ntype = \"uefi-app\"\nimage_digests = "
      "[\"sha1:89b08941b47dcfbd4c8b3f2bc0fad984cd836b21\"]\n",
      "no sha256 digest", dir);
  fs::remove_all(dir);
}

// PC Client PFP: PCR 0 begun by an EV_EFI_HCRTM_EVENT (no StartupLocality event) started at
// 0...04; a profile copying it must predict from locality 4 too.
TEST(ProfileStage, HcrtmFirstMeansLocality4) {
  fs::path dir = fs::path(testing::TempDir()) / ("integral-hcrtm-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string sep(4, '\0'), log;
  add_event(log, 0, 0x80000010 /* EV_EFI_HCRTM_EVENT */, "HCRTM");
  add_event(log, 0, ev::kSCrtmVersion, "v1");
  for (unsigned pcr = 0; pcr <= 7; ++pcr) add_event(log, pcr, ev::kSeparator, sep);
  std::ofstream(dir / "hcrtm.bin", std::ios::binary) << log;
  expect_bad("banks = [\"sha1\"]\n[[stage]]\ntype = \"profile\"\nlog = \"hcrtm.bin\"\n",
             "H-CRTM event first, PC Client PFP); set startup_locality = 4", dir);
  Chain c = predict(
      "banks = [\"sha1\"]\nstartup_locality = 4\n[[stage]]\ntype = \"profile\"\n"
      "log = \"hcrtm.bin\"\n",
      dir);
  // PCR 0 by hand: 19 zero bytes and 04, extended with the three PCR 0 events' SHA-1 digests.
  std::string pcr0(19, '\0');
  pcr0.push_back('\4');
  for (const std::string& data : {std::string("HCRTM"), std::string("v1"), sep}) {
    auto d = hash(HashAlg::kSha1, data);
    pcr0.append(reinterpret_cast<const char*>(d.bytes().data()), d.bytes().size());
    auto v = hash(HashAlg::kSha1, pcr0);
    pcr0.assign(reinterpret_cast<const char*>(v.bytes().data()), v.bytes().size());
  }
  EXPECT_EQ(replay(c, {HashAlg::kSha1}).get(HashAlg::kSha1, 0).hex(),
            to_hex(std::span(reinterpret_cast<const uint8_t*>(pcr0.data()), pcr0.size())));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace integral
