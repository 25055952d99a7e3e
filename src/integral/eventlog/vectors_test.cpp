// Every real log in tests/data/eventlogs replays to the PCR values recorded with it
// (real TPM reads or quotes, or tpm2_eventlog's replay), in every bank the vector lists.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "integral/chain/replay.h"
#include "integral/eventlog/event_log.h"
#include "integral/eventlog/quirks.h"
#include "integral/util/mapped_file.h"

namespace integral {
namespace {

const std::string kDir = std::string(INTEGRAL_TEST_DATA) + "/eventlogs/";

nlohmann::json expected_all() {
  std::ifstream in(kDir + "expected_pcrs.json");
  return nlohmann::json::parse(in);
}

// Checks every listed PCR; PCRs the log never extends must hold what the vector says the log
// cannot explain (pcrs_extended_by_log lists the others) or their reset value.
void check_vector(const std::string& name, const EventLog& log, const nlohmann::json& v) {
  PcrSet values = replay(log.chain(), log.banks());
  size_t checked = 0;
  for (const auto& [bank, pcrs] : v["expected"].items()) {
    auto alg = parse_hash_alg(bank);
    ASSERT_TRUE(alg);
    ASSERT_TRUE(values.has_bank(*alg)) << name << " lacks bank " << bank;
    for (const auto& [index, hex] : pcrs.items()) {
      unsigned pcr = static_cast<unsigned>(std::stoul(index));
      bool extended = !events_extending(log.chain(), pcr, *alg).empty();
      if (!extended && v.contains("pcrs_extended_by_log")) {
        auto ext = v["pcrs_extended_by_log"].get<std::vector<unsigned>>();
        ASSERT_EQ(std::count(ext.begin(), ext.end(), pcr), 0) << name << " PCR " << pcr;
        if (hex.get<std::string>() != pcr_reset_value(*alg, pcr).hex()) continue;
      }
      EXPECT_EQ(values.get(*alg, pcr).hex(), hex.get<std::string>())
          << name << " " << bank << " PCR " << pcr;
      ++checked;
    }
  }
  EXPECT_GE(checked, 8u) << name;
}

TEST(EventLogVectors, EveryVectorReplaysToItsExpectedPcrs) {
  auto all = expected_all();
  size_t vectors = 0;
  for (const auto& [name, v] : all["vectors"].items()) {
    if (name == "ebs_event_missing_eventlog") continue;  // below: needs its quirk
    SCOPED_TRACE(name);
    EventLog log = load_event_log(kDir + name);
    EXPECT_EQ(log.tcg.format == TcgLogFormat::kCryptoAgile, v["format"] == "tcg2");
    std::vector<std::string> banks;
    for (HashAlg a : log.banks()) banks.emplace_back(hash_alg_name(a));
    EXPECT_EQ(banks, v["log_banks"].get<std::vector<std::string>>());
    check_vector(name, log, v);
    ++vectors;
  }
  EXPECT_EQ(vectors, 8u);
}

TEST(EventLogVectors, StreamedReplayEqualsChainReplay) {
  for (const char* name : {"rhel8-uefi.bin", "glinux-alex.bin", "debian-10.bin",
                           "event-sd-boot-fedora37.bin", "ubuntu-2104-no-secure-boot.bin"}) {
    EventLog log = load_event_log(kDir + name);
    PcrSet whole = replay(log.chain(), log.banks());
    MappedFile f(kDir + name);
    TcgReplay streamed = replay_tcg_log(f.bytes(), name);
    EXPECT_EQ(streamed.events, log.chain().events.size()) << name;
    EXPECT_EQ(streamed.touched.to_string(), touched_pcrs(log.chain(), log.banks()).to_string());
    for (HashAlg alg : log.banks())
      for (unsigned pcr = 0; pcr < kPcrCount; ++pcr)
        EXPECT_EQ(streamed.values.get(alg, pcr), whole.get(alg, pcr)) << name << " " << pcr;
  }
}

TEST(EventLogVectors, GoAttestationDumpsMatchTheirOwnPcrs) {
  for (const char* name : {"windows_gcp_shielded_vm.json", "linux_tpm12.json"}) {
    EventLog log = load_event_log(kDir + name);
    ASSERT_TRUE(log.pcrs);
    PcrSet values = replay(log.chain(), log.banks());
    size_t matched = 0;
    for (const auto& [alg, pcrs] : log.pcrs->banks)
      for (const auto& [pcr, d] : pcrs)
        if (values.get(alg, pcr) == d) ++matched;
    // linux_tpm12's PCR 8-10 hold grub and IMA measurements this firmware log does not carry.
    EXPECT_GE(matched, std::string(name) == "linux_tpm12.json" ? 21u : 24u) << name;
  }
}

TEST(EventLogVectors, StartupLocalityIsWhatMakesPcr0Match) {
  auto v = expected_all()["vectors"]["glinux-alex.bin"];
  EventLog log = load_event_log(kDir + "glinux-alex.bin");
  EXPECT_EQ(log.chain().startup_locality, 3);
  Chain zero = log.chain();
  zero.startup_locality = 0;
  PcrSet wrong = replay(zero, log.banks());
  EXPECT_NE(wrong.get(HashAlg::kSha256, 0).hex(), v["expected"]["sha256"]["0"]);
  check_vector("glinux-alex.bin", log, v);
}

TEST(EventLogVectors, EbsVectorVerifiesOnlyWithItsQuirk) {
  auto v = expected_all()["vectors"]["ebs_event_missing_eventlog"];
  const std::string want = v["expected"]["sha1"]["5"];
  EventLog log = load_event_log(kDir + "ebs_event_missing_eventlog");
  EXPECT_NE(replay(log.chain(), log.banks()).get(HashAlg::kSha1, 5).hex(), want);
  Chain fixed = log.chain();
  EXPECT_EQ(apply_quirk("missing-ebs", fixed, log.banks()), 2u);
  EXPECT_EQ(replay(fixed, log.banks()).get(HashAlg::kSha1, 5).hex(), want);
  // A log that has the events is left alone.
  EventLog complete = load_event_log(kDir + "event-sd-boot-fedora37.bin");
  Chain same = complete.chain();
  EXPECT_EQ(apply_quirk("missing-ebs", same, complete.banks()), 0u);
}

}  // namespace
}  // namespace integral
