#include "integral/eventlog/tcg_log.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <cstring>
#include <optional>

#include "integral/chain/event_type.h"
#include "integral/chain/replay.h"
#include "integral/eventlog/event_log.h"
#include "integral/eventlog/log_render.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral {
namespace {

// Builds logs byte by byte, following the TCG PC Client layouts directly.
struct LogBuilder {
  std::vector<uint8_t> b;
  void u8(uint8_t v) { b.push_back(v); }
  void u16(uint16_t v) {
    for (int i = 0; i < 2; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void raw(const std::vector<uint8_t>& v) { b.insert(b.end(), v.begin(), v.end()); }
  void text(std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

  void spec_id(const std::vector<std::pair<uint16_t, uint16_t>>& algs) {
    std::vector<uint8_t> d;
    LogBuilder s;
    s.text(std::string_view("Spec ID Event03\0", 16));
    s.u32(0);
    s.u8(0), s.u8(2), s.u8(0), s.u8(2);
    s.u32(static_cast<uint32_t>(algs.size()));
    for (auto [id, size] : algs) s.u16(id), s.u16(size);
    s.u8(0);
    event1(0, ev::kNoAction, std::vector<uint8_t>(20, 0), s.b);
  }
  void event1(uint32_t pcr, uint32_t type, const std::vector<uint8_t>& sha1,
              const std::vector<uint8_t>& data) {
    u32(pcr), u32(type), raw(sha1), u32(static_cast<uint32_t>(data.size())), raw(data);
  }
  void event2(uint32_t pcr, uint32_t type,
              const std::vector<std::pair<uint16_t, std::vector<uint8_t>>>& digests,
              const std::vector<uint8_t>& data) {
    u32(pcr), u32(type), u32(static_cast<uint32_t>(digests.size()));
    for (const auto& [id, d] : digests) u16(id), raw(d);
    u32(static_cast<uint32_t>(data.size())), raw(data);
  }
};

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}
std::vector<uint8_t> filled(size_t n, uint8_t v) {
  return std::vector<uint8_t>(n, v);
}

// The error's offset, or -1 when parsing succeeded.
int64_t error_offset(const std::vector<uint8_t>& log, std::string* message = nullptr) {
  try {
    read_tcg_log(log, "t.log");
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), "t.log");
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    if (message) *message = e.message();
    return e.offset() ? static_cast<int64_t>(*e.offset()) : -2;
  }
  return -1;
}

TEST(TcgLog, CryptoAgileSkipsUnknownAlgorithmsByTheSpecIdSize) {
  LogBuilder l;
  // sha1, an algorithm integral does not know (0x0027, 48 bytes), sha256.
  l.spec_id({{0x0004, 20}, {0x0027, 48}, {0x000B, 32}});
  size_t second = l.b.size();
  l.event2(4, ev::kEfiAction,
           {{0x0004, filled(20, 0x11)}, {0x0027, filled(48, 0x22)}, {0x000B, filled(32, 0x33)}},
           bytes("hello"));
  TcgLog log = read_tcg_log(l.b, "t.log");
  EXPECT_EQ(log.format, TcgLogFormat::kCryptoAgile);
  ASSERT_TRUE(log.spec_id);
  EXPECT_EQ(log.spec_id->algorithms.size(), 3u);
  EXPECT_EQ(log.banks, (std::vector<HashAlg>{HashAlg::kSha1, HashAlg::kSha256}));
  ASSERT_EQ(log.chain.events.size(), 2u);
  const Event& e = log.chain.events[1];
  EXPECT_EQ(e.pcr, 4u);
  ASSERT_EQ(e.digests.size(), 2u);
  EXPECT_EQ(e.digest(HashAlg::kSha256)->hex(), std::string(64, '3'));
  EXPECT_EQ(e.provenance.artifact, "t.log");
  EXPECT_EQ(e.provenance.offset, second);
  EXPECT_EQ(e.description, "hello");
  // The Spec ID event is logged, not extended: only event 1 reaches PCR 4.
  PcrSet v = replay(log.chain, log.banks);
  EXPECT_EQ(v.get(HashAlg::kSha256, 4),
            pcr_extend(Digest::zero(HashAlg::kSha256), Digest(HashAlg::kSha256, filled(32, 0x33))));
  EXPECT_EQ(v.get(HashAlg::kSha1, 0), Digest::zero(HashAlg::kSha1));
}

TEST(TcgLog, Sha1FormatIsSniffedFromTheFirstEvent) {
  LogBuilder l;
  l.event1(0, ev::kSCrtmVersion, filled(20, 0xAB), bytes("v1"));
  l.event1(7, ev::kSeparator, filled(20, 0xCD), filled(4, 0));
  TcgLog log = read_tcg_log(l.b, "t.log");
  EXPECT_EQ(log.format, TcgLogFormat::kSha1);
  EXPECT_EQ(log.banks, std::vector<HashAlg>{HashAlg::kSha1});
  ASSERT_EQ(log.chain.events.size(), 2u);
  EXPECT_EQ(log.chain.events[1].provenance.offset, 34u);
  EXPECT_EQ(log.chain.events[1].description, "separator 00000000");
}

TEST(TcgLog, StartupLocalitySetsPcr0Start) {
  LogBuilder l;
  l.spec_id({{0x000B, 32}});
  l.event2(0, ev::kNoAction, {{0x000B, filled(32, 0)}},
           bytes(std::string_view("StartupLocality\0\3", 17)));
  TcgLog log = read_tcg_log(l.b, "t.log");
  EXPECT_EQ(log.chain.startup_locality, 3);
  EXPECT_EQ(log.chain.events[1].description, "StartupLocality 3");
  EXPECT_EQ(replay(log.chain, log.banks).get(HashAlg::kSha256, 0).hex(),
            std::string(62, '0') + "03");
}

// SHA-256 by OpenSSL's EVP directly (not integral's hashing): the reference for hand-composed
// PCR values.
std::vector<uint8_t> evp_sha256(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> md(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md.data(), &n, EVP_sha256(), nullptr), 1);
  md.resize(n);
  return md;
}
std::vector<uint8_t> evp_extend(std::vector<uint8_t> pcr, const std::vector<uint8_t>& digest) {
  pcr.insert(pcr.end(), digest.begin(), digest.end());
  return evp_sha256(pcr);
}

// A crypto-agile SHA-256 log whose PCR 0 begins with an H-CRTM event (PC Client PFP: the
// EV_EFI_HCRTM_EVENT carries "HCRTM", then the S-CRTM version and the separator), optionally
// after a StartupLocality event. Returns the log and PCR 0 composed by hand from `start`.
std::pair<std::vector<uint8_t>, std::string> hcrtm_log(std::optional<uint8_t> logged_locality,
                                                       uint8_t start, bool hcrtm_first = true) {
  LogBuilder l;
  l.spec_id({{0x000B, 32}});
  if (logged_locality) {
    std::string d("StartupLocality\0", 16);
    d.push_back(static_cast<char>(*logged_locality));
    l.event2(0, ev::kNoAction, {{0x000B, filled(32, 0)}}, bytes(d));
  }
  auto hcrtm = bytes("HCRTM");
  auto version =
      bytes(std::string_view("1\0.\0"
                             "0\0\0\0",
                             8));  // UTF-16 "1.0"
  auto sep = filled(4, 0);
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> events = {
      {0x80000010 /* EV_EFI_HCRTM_EVENT */, hcrtm},
      {ev::kSCrtmVersion, version},
      {ev::kSeparator, sep}};
  if (!hcrtm_first) std::swap(events[0], events[1]);
  std::vector<uint8_t> pcr0(32, 0);
  pcr0[31] = start;
  for (const auto& [type, data] : events) {
    auto d = evp_sha256(data);
    l.event2(0, type, {{0x000B, d}}, data);
    pcr0 = evp_extend(pcr0, d);
  }
  return {l.b, to_hex(pcr0)};
}

TEST(TcgLog, HcrtmEventFirstStartsPcr0AtLocality4) {
  auto [log_bytes, want] = hcrtm_log(std::nullopt, 4);
  TcgLog log = read_tcg_log(log_bytes, "t.log");
  EXPECT_EQ(log.chain.startup_locality, 4);
  EXPECT_TRUE(pcr0_starts_by_hcrtm(log.chain));
  EXPECT_EQ(replay(log.chain, log.banks).get(HashAlg::kSha256, 0).hex(), want);
  // The streaming replay (integral replay) agrees.
  TcgReplay r = replay_tcg_log(log_bytes, "t.log");
  EXPECT_EQ(r.startup_locality, 4);
  EXPECT_TRUE(r.hcrtm);
  EXPECT_EQ(r.values.get(HashAlg::kSha256, 0).hex(), want);
  // eventlog show says which start it used and why.
  EventLog el = parse_event_log(log_bytes, "t.log");
  EXPECT_EQ(el.format, LogFormat::kTcg);
  std::string text = eventlog_text(el, replay(el.chain(), el.banks()));
  EXPECT_NE(text.find("PCR 0 starts at 0...04: H-CRTM event first"), std::string::npos) << text;
  EXPECT_NE(text.find(want), std::string::npos);
}

TEST(TcgLog, StartupLocalityEventWinsOverHcrtmAndHcrtmCountsOnlyFirst) {
  // A logged StartupLocality says where PCR 0 started, H-CRTM or not.
  auto [with_locality, want3] = hcrtm_log(3, 3);
  TcgLog a = read_tcg_log(with_locality, "t.log");
  EXPECT_FALSE(pcr0_starts_by_hcrtm(a.chain));
  EXPECT_EQ(replay(a.chain, a.banks).get(HashAlg::kSha256, 0).hex(), want3);
  EXPECT_EQ(replay_tcg_log(with_locality, "t.log").values.get(HashAlg::kSha256, 0).hex(), want3);
  // An H-CRTM event after PCR 0's first extend is no H-CRTM start.
  auto [later, want0] = hcrtm_log(std::nullopt, 0, false);
  TcgLog b = read_tcg_log(later, "t.log");
  EXPECT_FALSE(pcr0_starts_by_hcrtm(b.chain));
  EXPECT_EQ(replay(b.chain, b.banks).get(HashAlg::kSha256, 0).hex(), want0);
  EXPECT_EQ(replay_tcg_log(later, "t.log").values.get(HashAlg::kSha256, 0).hex(), want0);
}

TEST(TcgLog, TrailingPaddingEndsTheLog) {
  LogBuilder l;
  l.spec_id({{0x000B, 32}});
  l.event2(9, ev::kIpl, {{0x000B, filled(32, 1)}}, bytes("x"));
  for (uint8_t pad : std::vector<uint8_t>{0x00, 0xFF}) {
    LogBuilder p = l;
    p.raw(filled(100, pad));
    EXPECT_EQ(read_tcg_log(p.b, "t.log").chain.events.size(), 2u);
  }
}

TEST(TcgLog, LyingSizesAndTruncationNameTheOffset) {
  LogBuilder base;
  base.spec_id({{0x0004, 20}, {0x000B, 32}});
  const int64_t ev = static_cast<int64_t>(base.b.size());
  std::string msg;

  {  // EventSize larger than what is left, including 4 GiB - 1
    for (uint32_t size : {1000u, 0xFFFFFFFFu}) {
      LogBuilder l = base;
      l.u32(4), l.u32(ev::kIpl), l.u32(1), l.u16(0x000B), l.raw(filled(32, 1));
      l.u32(size), l.raw(bytes("short"));
      EXPECT_EQ(error_offset(l.b, &msg), ev + 4 + 4 + 4 + 2 + 32) << size;
      EXPECT_NE(msg.find("EventSize"), std::string::npos) << msg;
    }
  }
  {  // more digests than the Spec ID table has algorithms
    LogBuilder l = base;
    l.u32(4), l.u32(ev::kIpl), l.u32(3);
    l.raw(filled(100, 1));
    EXPECT_EQ(error_offset(l.b, &msg), ev + 8);
    EXPECT_NE(msg.find("DigestCount 3 exceeds"), std::string::npos) << msg;
  }
  {  // an algorithm the Spec ID event does not list: its size is unknowable
    LogBuilder l = base;
    l.event2(4, ev::kIpl, {{0x000C, filled(48, 1)}}, bytes("x"));
    EXPECT_EQ(error_offset(l.b, &msg), ev + 12);
    EXPECT_NE(msg.find("0x000c is not in the Spec ID"), std::string::npos) << msg;
  }
  {  // truncated inside a digest
    LogBuilder l = base;
    l.event2(4, ev::kIpl, {{0x000B, filled(32, 1)}}, bytes("x"));
    l.b.resize(static_cast<size_t>(ev) + 30);
    EXPECT_EQ(error_offset(l.b, &msg), ev + 14);
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  }
  {  // an extending event for PCR 30
    LogBuilder l = base;
    l.event2(30, ev::kIpl, {{0x000B, filled(32, 1)}}, bytes("x"));
    EXPECT_EQ(error_offset(l.b, &msg), ev);
    EXPECT_NE(msg.find("PCR index 30"), std::string::npos) << msg;
  }
  {  // the same digest algorithm twice
    LogBuilder l = base;
    l.event2(4, ev::kIpl, {{0x000B, filled(32, 1)}, {0x000B, filled(32, 2)}}, bytes("x"));
    EXPECT_EQ(error_offset(l.b, &msg), ev + 12 + 34);
  }
  {  // Spec ID: numberOfAlgorithms that cannot fit, wrong size for a known algorithm
    LogBuilder l;
    l.spec_id({{0x000B, 32}});
    std::memset(l.b.data() + 32 + 24, 0xFF, 4);
    EXPECT_EQ(error_offset(l.b, &msg), 32 + 24);
    LogBuilder w;
    w.spec_id({{0x000B, 20}});
    EXPECT_EQ(error_offset(w.b, &msg), 32 + 28);
    EXPECT_NE(msg.find("digest size of 20"), std::string::npos) << msg;
  }
  {  // empty and tiny files
    EXPECT_EQ(error_offset({}), 0);
    EXPECT_EQ(error_offset({1, 2, 3}), 0);
  }
}

TEST(TcgLog, EveryTruncationOfAValidLogFailsCleanlyOrEndsAtAnEvent) {
  LogBuilder l;
  l.spec_id({{0x0004, 20}, {0x000B, 32}});
  l.event2(4, ev::kEfiAction, {{0x0004, filled(20, 1)}, {0x000B, filled(32, 2)}}, bytes("abc"));
  l.event2(5, ev::kEfiAction, {{0x0004, filled(20, 3)}, {0x000B, filled(32, 4)}}, bytes("de"));
  for (size_t n = 0; n < l.b.size(); ++n) {
    std::vector<uint8_t> cut(l.b.begin(), l.b.begin() + static_cast<ptrdiff_t>(n));
    int64_t off = error_offset(cut);
    EXPECT_NE(off, -2) << n;
    if (off >= 0) {
      EXPECT_LE(off, static_cast<int64_t>(n)) << n;
    }
  }
}

}  // namespace
}  // namespace integral
