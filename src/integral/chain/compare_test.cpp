#include "integral/chain/compare.h"

#include <gtest/gtest.h>

#include "integral/chain/event_type.h"
#include "integral/chain/replay.h"

namespace integral {
namespace {

Event ev_for(unsigned pcr, std::string_view what, std::vector<HashAlg> algs) {
  Event e;
  e.pcr = pcr;
  e.type = ev::kIpl;
  for (HashAlg a : algs) e.digests.push_back(hash(a, what));
  e.provenance.artifact = std::string(what);
  return e;
}

TEST(Replay, ExtendsInOrderSkipsNoActionAndMissingBanks) {
  Chain c;
  c.events.push_back(ev_for(9, "a", {HashAlg::kSha1, HashAlg::kSha256}));
  Event na = ev_for(9, "ignored", {HashAlg::kSha256});
  na.type = ev::kNoAction;
  c.events.push_back(na);
  c.events.push_back(ev_for(9, "b", {HashAlg::kSha256}));  // SHA-1 bank untouched
  PcrSet s = replay(c, {HashAlg::kSha1, HashAlg::kSha256});
  Digest z1 = Digest::zero(HashAlg::kSha1), z256 = Digest::zero(HashAlg::kSha256);
  EXPECT_EQ(s.get(HashAlg::kSha1, 9), pcr_extend(z1, hash(HashAlg::kSha1, "a")));
  EXPECT_EQ(s.get(HashAlg::kSha256, 9),
            pcr_extend(pcr_extend(z256, hash(HashAlg::kSha256, "a")), hash(HashAlg::kSha256, "b")));
  EXPECT_EQ(events_extending(c, 9, HashAlg::kSha256), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(touched_pcrs(c, {HashAlg::kSha1, HashAlg::kSha384}).to_string(), "sha1:9");
}

TEST(Compare, ValuesNameFirstMismatchAndItsEvents) {
  Chain c;
  c.events.push_back(ev_for(4, "x", {HashAlg::kSha256}));
  c.events.push_back(ev_for(9, "y", {HashAlg::kSha256}));
  PcrSet predicted = replay(c, {HashAlg::kSha256});
  PcrValues observed;
  std::map<unsigned, Digest> m;
  m.emplace(4, predicted.get(HashAlg::kSha256, 4));
  m.emplace(9, Digest::zero(HashAlg::kSha256));
  observed.banks.emplace_back(HashAlg::kSha256, m);
  auto r = compare_values(c, predicted, observed, PcrSelection::parse("sha256:4,9,16"));
  ASSERT_EQ(r.checks.size(), 3u);
  EXPECT_TRUE(r.checks[0].match());
  EXPECT_FALSE(r.ok());
  ASSERT_NE(r.first_mismatch(), nullptr);
  EXPECT_EQ(r.first_mismatch()->pcr, 9u);
  EXPECT_EQ(r.first_mismatch()->events, std::vector<size_t>{1});
  EXPECT_FALSE(r.checks[2].observed.has_value());  // PCR 16 was not read: a mismatch
}

TEST(Compare, ChainsPartAtFirstDifferingEvent) {
  Chain a, b;
  for (auto s : {"1", "2", "3"}) a.events.push_back(ev_for(11, s, {HashAlg::kSha256}));
  for (auto s : {"1", "X", "3"}) b.events.push_back(ev_for(11, s, {HashAlg::kSha256}));
  b.events.push_back(ev_for(12, "extra", {HashAlg::kSha256}));
  auto d = compare_chains(a, b, {HashAlg::kSha256});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].pcr, 11u);
  EXPECT_EQ(d[0].position, 1u);
  EXPECT_EQ(b.events[*d[0].actual].provenance.artifact, "X");
  EXPECT_EQ(d[1].pcr, 12u);
  EXPECT_FALSE(d[1].expected.has_value());
  EXPECT_TRUE(compare_chains(a, a, {HashAlg::kSha256}).empty());
}

}  // namespace
}  // namespace integral
