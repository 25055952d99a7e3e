#include "integral/eventlog/txt_log.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "integral/formats/test_bytes.h"
#include "integral/tpm/pcr_set.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {
namespace {

using B = testing::LeBytes;
using testing::put32;

Digest d1(uint8_t v) {
  return Digest::filled(HashAlg::kSha1, v);
}
Digest d256(uint8_t v) {
  return Digest::filled(HashAlg::kSha256, v);
}

// TPM 1.2 record: pcr, type, digest, data size, data.
B& rec12(B& b, uint32_t pcr, uint32_t type, const Digest& d, const Bytes& data = {}) {
  return b.u32(pcr).u32(type).add(d.bytes()).u32(static_cast<uint32_t>(data.size())).add(data);
}

Bytes container(const Bytes& records, uint32_t size = 0x5000) {
  B h;
  h.str("TXT Event Container", 20)
      .fill(12, 0)
      .u8(1)
      .u8(0)
      .u8(1)
      .u8(0)
      .u32(size)
      .u32(48)
      .u32(static_cast<uint32_t>(48 + records.size()))
      .add(records);
  h.fill(64, 0);  // the unused rest of the buffer
  return h.b;
}

TEST(TxtLog, Container12BuiltByHand) {
  B r;
  rec12(r, 17, 0x402, d1(0xa1), Bytes(36, 0x75));
  rec12(r, 255, 0x401, Digest::zero(HashAlg::kSha1), Bytes(4, 0));
  rec12(r, 17, 0x403, d1(0x1d), Bytes(80, 0));
  rec12(r, 18, 0x404, d1(0x48));
  rec12(r, 17, 0x501, d1(0xc3));
  auto log = parse_txt_container12(container(r.b), "c.bin");
  ASSERT_EQ(log.events.size(), 5u);
  EXPECT_EQ(log.events[0].data.size(), 36u);
  EXPECT_EQ(log.events[1].pcr, 255u);
  EXPECT_EQ(log.events[2].offset, 48u + (32 + 36) + (32 + 4));
  auto p = replay_txt_log(log);
  // HASH_START sets PCR 17 (its digest is SinitHash); the rest extend.
  EXPECT_EQ(p.get(HashAlg::kSha1, 17), pcr_extend(pcr_extend(d1(0xa1), d1(0x1d)), d1(0xc3)));
  EXPECT_EQ(p.get(HashAlg::kSha1, 18), pcr_extend(Digest::zero(HashAlg::kSha1), d1(0x48)));
  EXPECT_EQ(p.get(HashAlg::kSha1, 19), Digest::zero(HashAlg::kSha1));
}

uint64_t fail_offset(const std::function<void()>& f, const std::string& want) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(e.message().find(want), std::string::npos) << e.message();
    return e.offset().value_or(~0ull);
  }
  ADD_FAILURE() << "accepted a hostile log";
  return ~0ull;
}

TEST(TxtLog, Container12Hostile) {
  B r;
  rec12(r, 17, 0x402, d1(1), Bytes(36, 0));
  rec12(r, 18, 0x404, d1(2));
  const Bytes good = container(r.b);
  auto parse = [](const Bytes& b) { return [b] { parse_txt_container12(b, "x"); }; };
  Bytes b = good;
  put32(b, 44, 0x4fff);  // NextEventOffset beyond the file
  EXPECT_EQ(fail_offset(parse(b), "beyond the file"), 44u);
  b = good;
  put32(b, 44, 0x6000);  // beyond the container's own size
  EXPECT_EQ(fail_offset(parse(b), "beyond the container"), 44u);
  b = good;
  put32(b, 40, 8);
  EXPECT_EQ(fail_offset(parse(b), "inside the 48-byte header"), 40u);
  b = good;
  put32(b, 48 + 28, 0x7fffffff);  // data size of the first record
  EXPECT_EQ(fail_offset(parse(b), "overruns the log"), 48u + 28);
  b = good;
  put32(b, 48 + 32 + 36, 40);  // PCR index of the second record
  EXPECT_EQ(fail_offset(parse(b), "PCR index 40"), 48u + 32 + 36);
  b = good;
  b[3] = 'x';
  EXPECT_EQ(fail_offset(parse(b), "signature"), 0u);
  b.assign(good.begin(), good.begin() + 40);
  EXPECT_EQ(fail_offset(parse(b), "truncated"), 0u);
}

// TPM 2.0 Intel format: a SHA-256 log opens with the descriptor record; a SHA-1 log does not.
TEST(TxtLog, IntelPerBankLogs) {
  B s;
  rec12(s, 0, 3, Digest::zero(HashAlg::kSha1),
        B{}.str("txt log descrptr", 16).u32(1).u32(2).u32(32).b);
  s.u32(17).u32(0x402).add(d256(0x03).bytes()).u32(36).fill(36, 0x75);
  s.u32(255).u32(0x401).add(Digest::zero(HashAlg::kSha256).bytes()).u32(4).fill(4, 0);
  s.u32(17).u32(0x404).add(d256(0xd4).bytes()).u32(0);
  s.fill(100, 0);
  auto l256 = parse_txt_intel_bank_log(s.b, "sha256.bin");
  EXPECT_EQ(l256.banks, std::vector<HashAlg>{HashAlg::kSha256});
  ASSERT_EQ(l256.events.size(), 3u);
  EXPECT_EQ(l256.events[0].offset, 60u);
  B one;
  rec12(one, 17, 0x402, d1(0xec), Bytes(36, 0x75));
  rec12(one, 17, 0x404, d1(0x47));
  auto l1 = parse_txt_intel_bank_log(one.b, "sha1.bin");
  EXPECT_EQ(l1.banks, std::vector<HashAlg>{HashAlg::kSha1});
  // In TPM 2.0 logs HASH_START extends the zeroed PCR 17.
  auto p = replay_txt_log(l256);
  EXPECT_EQ(p.get(HashAlg::kSha256, 17),
            pcr_extend(pcr_extend(Digest::zero(HashAlg::kSha256), d256(0x03)), d256(0xd4)));
  // A descriptor naming an unknown digest, a digest size that disagrees, a record overrunning.
  Bytes b = s.b;
  put32(b, 52, 9);
  EXPECT_EQ(fail_offset([&] { parse_txt_intel_bank_log(b, "x"); }, "digest_id 9"), 52u);
  b = s.b;
  put32(b, 56, 20);
  EXPECT_EQ(fail_offset([&] { parse_txt_intel_bank_log(b, "x"); }, "digest_size 20"), 56u);
  b = s.b;
  put32(b, 60 + 8 + 32, 0xffffff);
  EXPECT_EQ(fail_offset([&] { parse_txt_intel_bank_log(b, "x"); }, "overruns the log"), 100u);
}

Bytes spec_id_header() {
  B d;
  d.str("Spec ID Event03", 16)
      .u32(0)
      .u8(0)
      .u8(2)
      .u8(0)
      .u8(1)
      .u32(2)
      .u16(4)
      .u16(20)
      .u16(0xb)
      .u16(32)
      .u8(0);
  B h;
  rec12(h, 0, 3, Digest::zero(HashAlg::kSha1), d.b);
  return h.b;
}

TEST(TxtLog, TcgBinary) {
  B b;
  b.add(spec_id_header());
  auto ev2 = [&](uint32_t pcr, uint32_t type, std::vector<Digest> ds, const Bytes& data) {
    b.u32(pcr).u32(type).u32(static_cast<uint32_t>(ds.size()));
    for (const auto& d : ds) b.u16(static_cast<uint16_t>(d.alg())).add(d.bytes());
    b.u32(static_cast<uint32_t>(data.size())).add(data);
  };
  ev2(17, 0x402, {d1(0xec), d256(0x03)}, Bytes(36, 0x75));
  ev2(255, 0x401, {Digest::zero(HashAlg::kSha1), Digest::zero(HashAlg::kSha256)}, {1, 0, 0, 0});
  ev2(18, 0x410, {d1(0xe7), d256(0x3b)}, {});
  ev2(17, 0x501, {d256(0x71)}, {});
  const size_t good_size = b.b.size();
  b.fill(32, 0);
  auto log = parse_txt_tcg_log(b.b, "tcg.bin");
  EXPECT_EQ(log.banks, (std::vector<HashAlg>{HashAlg::kSha1, HashAlg::kSha256}));
  ASSERT_EQ(log.events.size(), 4u);
  EXPECT_EQ(log.events[1].pcr, 255u);
  auto p = replay_txt_log(log);
  const auto z1 = Digest::zero(HashAlg::kSha1), z256 = Digest::zero(HashAlg::kSha256);
  EXPECT_EQ(p.get(HashAlg::kSha1, 17), pcr_extend(z1, d1(0xec)));
  EXPECT_EQ(p.get(HashAlg::kSha256, 17), pcr_extend(pcr_extend(z256, d256(0x03)), d256(0x71)));
  EXPECT_EQ(p.get(HashAlg::kSha256, 18), pcr_extend(z256, d256(0x3b)));
  // A digest count beyond the Spec ID's algorithms, and an event size beyond the data.
  const size_t first = spec_id_header().size();
  Bytes x(b.b.begin(), b.b.begin() + static_cast<long>(good_size));
  put32(x, first + 8, 1000);
  EXPECT_EQ(fail_offset([&] { parse_txt_tcg_log(x, "x"); }, "digest count 1000"), first + 8);
  x.assign(b.b.begin(), b.b.begin() + static_cast<long>(good_size));
  put32(x, first + 12 + 22 + 34, 0x10000);
  EXPECT_EQ(fail_offset([&] { parse_txt_tcg_log(x, "x"); }, "overruns the log"), first + 68);
}

// Vector D (Lenovo, TPM 1.2 legacy, tboot 1.9.12 serial log, no event log): PCR 18 and 19 are
// composed here from the digests the log prints (mle_hash; VL measurements PCR 18/19); PCR 17
// equals the research note's independent replay under its stated v6 assumption.
TEST(TxtLog, VectorDRebuiltFromHeap) {
  auto h = reconstruct_txt_launch(testing::txt_vector_text("D_"), "D");
  EXPECT_EQ(h.sinit_mle_data_version, 6u);
  EXPECT_FALSE(h.pcr17_verified);
  ASSERT_EQ(h.log.events.size(), 6u);
  EXPECT_EQ(h.log.events[1].data.size(), 76u);
  auto p = replay_txt_log(h.log);
  const auto z = Digest::zero(HashAlg::kSha1);
  auto hex = [](const char* s) { return *Digest::from_hex(HashAlg::kSha1, s); };
  const auto mle = hex("c9182c8027e88e6b4b619e5ab3fad25952c503d3");
  const auto vl18 = hex("c9e82c615a50f3332ed43c1bcb108566e05d0d05");
  const auto vl19 = hex("7b1cc37b1753b087d6c55d9c60ab5c195c44067a");
  EXPECT_EQ(p.get(HashAlg::kSha1, 18), pcr_extend(pcr_extend(z, mle), vl18));
  EXPECT_EQ(p.get(HashAlg::kSha1, 19), pcr_extend(z, vl19));
  EXPECT_EQ(p.get(HashAlg::kSha1, 18).hex(), "2eddb257ec04da92767e3f187e44b848898b55bd");
  EXPECT_EQ(p.get(HashAlg::kSha1, 19).hex(), "b874dcaeebbf922460d4897916a269941cbcb1c1");
  EXPECT_EQ(p.get(HashAlg::kSha1, 17).hex(), "5b6470b0f6333f3fb75a2a08c486bcc929a46234");
  // The VL policy measurement is SHA1(LE32(1) || pol_hash) with the printed pol_hash.
  Bytes pol{1, 0, 0, 0};
  auto ph = *from_hex("b20e59926d50223438e2ddfdbd286adfd020117d");
  pol.insert(pol.end(), ph.begin(), ph.end());
  EXPECT_EQ(h.log.events[3].digests[0], hash(HashAlg::kSha1, pol));
}

// Vector E (Intel Whitley CBnT, TPM 2.0): parsed without error, replayed as the research note
// did, and recognised as the launch reported not to match its TPM's PCR 17.
TEST(TxtLog, VectorEJsonKnownMismatch) {
  auto log = parse_txt_event_json(testing::txt_vector_text("E_"), "E");
  EXPECT_EQ(log.events.size(), 15u + 15 + 7 + 7);
  EXPECT_EQ(log.banks, (std::vector<HashAlg>{HashAlg::kSha1, HashAlg::kSha256}));
  auto p = replay_txt_log(log);
  EXPECT_TRUE(p.get(HashAlg::kSha1, 17).hex().starts_with("11d45dbf"));
  EXPECT_TRUE(p.get(HashAlg::kSha256, 17).hex().starts_with("bfbe2c1f"));
  auto k = known_mismatch(log);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->pcrs, std::vector<unsigned>{17});
  // Other launches are not flagged.
  EXPECT_FALSE(known_mismatch(parse_txt_stat(testing::txt_vector_text("A_"), "A")).has_value());
}

TEST(TxtLog, JsonHostile) {
  EXPECT_THROW(parse_txt_event_json("no list", "j"), Error);
  EXPECT_THROW(parse_txt_event_json("[{\"pcr\": 3}]", "j"), Error);
  EXPECT_THROW(
      parse_txt_event_json(
          R"([{"pcr":{"index":17,"bank":"SHA1"},"tpm_events":[{"type_id":"0x402","measurement":"00"}]}])",
          "j"),
      Error);
  EXPECT_THROW(parse_txt_event_json(R"([{"pcr":{"index":99,"bank":"SHA1"},"tpm_events":[]}])", "j"),
               Error);
  try {
    parse_txt_event_json("xx\n[ {\"pcr\": ", "j");
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(e.offset().has_value());
  }
}

// fuzz_txt_log: a number too large for a double escaped as nlohmann's out_of_range (an internal
// error); it is bad input naming the file and the offset in the file (the list starts at 6).
TEST(TxtLog, JsonNumberOverflowIsBadInput) {
  const std::string text =
      "title\n[{\"pcr\":{\"index\":8e888,\"bank\":\"SHA1\"},\"tpm_events\":[]}]";
  try {
    parse_txt_event_json(text, "j.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_EQ(e.file(), "j.txt");
    ASSERT_TRUE(e.offset().has_value());
    const size_t at = text.find("8e888");
    EXPECT_GE(*e.offset(), at);
    EXPECT_LE(*e.offset(), at + 6);
  }
  // Types other than the expected ones: a string index, a numeric bank, a list of numbers.
  for (const char* bad :
       {R"([{"pcr":{"index":"17","bank":"SHA1"},"tpm_events":[]}])",
        R"([{"pcr":{"index":17,"bank":5},"tpm_events":[]}])",
        R"([{"pcr":{"index":17.5,"bank":"SHA1"},"tpm_events":[]}])",
        R"([{"pcr":{"index":17,"bank":"SHA1"},"tpm_events":[3]}])", "[1e999999]"}) {
    try {
      parse_txt_event_json(bad, "j.txt");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput) << bad;
      EXPECT_EQ(e.file(), "j.txt") << bad;
    }
  }
}

}  // namespace
}  // namespace integral
