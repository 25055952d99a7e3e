#include "integral/eventlog/txt_stat.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {
namespace {

std::string pcr(const PcrSet& p, HashAlg a, unsigned i) {
  return p.get(a, i).hex();
}

// Vector C: ThinkPad T460p, TPM 1.2, legacy mapping, tboot 1.10.3. Expected PCRs are the
// research note's independent replay of the log; PCR 17 after HASH_START is sinit_hash as the
// heap dump prints it, PCR 18 is composed here from the heap's mle_hash and tboot's printed
// "VL measurements".
TEST(TxtStat, VectorCReplaysLegacyTpm12) {
  auto log = parse_txt_stat(testing::txt_vector_text("C_"), "C");
  EXPECT_EQ(log.format, TxtLogFormat::kContainer12);
  ASSERT_EQ(log.events.size(), 7u);
  EXPECT_EQ(log.events[0].type, ev::kTxtHashStart);
  EXPECT_EQ(log.events[0].data.size(), 36u);
  EXPECT_EQ(log.events[2].data.size(), 80u);
  // COMBINED_HASH digest = SHA1(its data).
  EXPECT_EQ(hash(HashAlg::kSha1, log.events[2].data), log.events[2].digests[0]);
  auto p = replay_txt_log(log);
  EXPECT_EQ(pcr(p, HashAlg::kSha1, 17), "564d58b956e12bd98c0917e0185387df53556cb5");
  EXPECT_EQ(pcr(p, HashAlg::kSha1, 18), "9b99b3b24834ffab56a950d1af833a437c90bc71");
  EXPECT_EQ(pcr(p, HashAlg::kSha1, 19), "7246dc40ea65de09e43f7663d0118ec12eb2abec");
  const auto mle = *Digest::from_hex(HashAlg::kSha1, "48b765af300ab0dbf41c29a30db73a3afc370f1d");
  const auto m0 = *Digest::from_hex(HashAlg::kSha1, "eb9987d865a176544f2faa4a90dbec495d738bf5");
  EXPECT_EQ(p.get(HashAlg::kSha1, 18),
            pcr_extend(pcr_extend(Digest::zero(HashAlg::kSha1), mle), m0));
  EXPECT_EQ(pcr(p, HashAlg::kSha1, 20), Digest::zero(HashAlg::kSha1).hex());
}

// Vector A: Dell E5470, TPM 2.0 TCG log, DA, tboot 1.10.2 (extpol sha256: tboot's events only in
// the SHA-256 bank).
TEST(TxtStat, VectorAReplaysDaTpm20) {
  auto log = parse_txt_stat(testing::txt_vector_text("A_"), "A");
  EXPECT_EQ(log.format, TxtLogFormat::kTcg20);
  ASSERT_EQ(log.events.size(), 20u);
  EXPECT_EQ(log.banks, (std::vector<HashAlg>{HashAlg::kSha1, HashAlg::kSha256}));
  // Every SINIT record that carries data is H_b(data) in both banks.
  for (const auto& e : log.events) {
    if (e.data.empty() || e.pcr == 255) continue;
    for (const auto& d : e.digests) EXPECT_EQ(hash(d.alg(), e.data), d) << e.line;
  }
  auto p = replay_txt_log(log);
  EXPECT_EQ(pcr(p, HashAlg::kSha1, 17), "a3da3aa9d80e8f1d6b6b34f67d1a89c6998d42fa");
  EXPECT_EQ(pcr(p, HashAlg::kSha1, 18), "4e1da12b44ae40745028103454de03a2901235e9");
  EXPECT_EQ(pcr(p, HashAlg::kSha256, 17),
            "17db83cfefb5204226a1cbd8ea62e675dabdcea737c2bc499dd51f0e3a0eee3a");
  EXPECT_EQ(pcr(p, HashAlg::kSha256, 18),
            "add552b58f6ed3595ebbea5f4f59d077e0ed4c8601de1898a5559fe95fa86fcc");
}

TEST(TxtStat, EventTypeNames) {
  EXPECT_EQ(txt_event_type_name(0x402), "HASH_START");
  EXPECT_EQ(txt_event_type_name(0x41A), "BOOT_POL_HASH");
  EXPECT_EQ(txt_event_type_name(0x501), "TB_MEASUREMENT");
  EXPECT_EQ(txt_event_type_name(0x3), "");
}

TEST(TxtStat, RejectsLyingRecords) {
  const std::string good =
      "Event Log Container:\n Event:\n PCRIndex: 17\n Type: 0x404\n"
      " Digest: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13\n"
      " Data: 4 bytes\n  01 02 03 04\n";
  auto log = parse_txt_stat(good, "g");
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0].data, (Bytes{1, 2, 3, 4}));
  std::string more = good;
  more.replace(more.find("4 bytes"), 7, "9 bytes");
  try {
    parse_txt_stat(more, "log.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), "log.txt");
    EXPECT_TRUE(e.offset().has_value());
  }
  std::string shortd = good;
  shortd.replace(shortd.find(" 12 13"), 6, "");
  EXPECT_THROW(parse_txt_stat(shortd, "x"), Error);
  EXPECT_THROW(parse_txt_stat("nothing here", "x"), Error);
  std::string ox = good;  // "0x" is not a hex byte (found by fuzz_txt_stat)
  ox.replace(ox.find("01 02 03 04"), 11, "0x 02 03 04");
  EXPECT_THROW(parse_txt_stat(ox, "x"), Error);
  EXPECT_THROW(parse_txt_stat(good.substr(0, good.size() - 14), "x"), Error);
}

}  // namespace
}  // namespace integral
