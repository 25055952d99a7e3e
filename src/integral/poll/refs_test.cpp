#include "integral/poll/refs.h"

#include <gtest/gtest.h>

#include "integral/poll/test_repo.h"
#include "integral/util/error.h"

namespace integral::poll {
namespace {

const std::string A(40, 'a'), B(40, 'b'), C(40, 'c'), Z(40, '0');

TEST(Refs, DiffGivesPostReceiveTriples) {
  RefMap before{{"refs/heads/gone", A}, {"refs/heads/main", A}, {"refs/tags/v1", B}};
  RefMap after{{"refs/heads/main", B}, {"refs/heads/new", C}, {"refs/tags/v1", B}};
  auto d = diff_refs(before, after);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], (RefUpdate{A, Z, "refs/heads/gone"}));  // deletion: zero new id
  EXPECT_EQ(d[1], (RefUpdate{A, B, "refs/heads/main"}));
  EXPECT_EQ(d[2], (RefUpdate{Z, C, "refs/heads/new"}));  // creation: zero old id
  EXPECT_EQ(post_receive_lines(d), A + " " + Z + " refs/heads/gone\n" + A + " " + B +
                                       " refs/heads/main\n" + Z + " " + C + " refs/heads/new\n");
  EXPECT_TRUE(diff_refs(after, after).empty());
}

TEST(Refs, ZeroIdFollowsTheHashLength) {
  RefMap before{{"refs/heads/x", std::string(64, 'e')}};
  auto d = diff_refs(before, {});
  EXPECT_EQ(d[0].new_id, std::string(64, '0'));
  EXPECT_TRUE(is_zero_id(d[0].new_id));
  EXPECT_FALSE(is_zero_id(A));
}

TEST(Refs, PatternsMatchLikeRefspecs) {
  EXPECT_TRUE(ref_matches("refs/heads/*", "refs/heads/a/b"));
  EXPECT_FALSE(ref_matches("refs/heads/*", "refs/tags/a"));
  EXPECT_TRUE(ref_matches("refs/notes/commits", "refs/notes/commits"));
  EXPECT_FALSE(ref_matches("refs/notes/commits", "refs/notes/commits2"));
}

TEST(Refs, ParsesLsRemoteAndForEachRef) {
  std::string ls = A + "\tHEAD\n" + A + "\trefs/heads/main\n" + B + "\trefs/tags/v1\n" + C +
                   "\trefs/tags/v1^{}\n" + C + "\trefs/pull/1/head\n";
  auto m = parse_ref_lines(ls, {"refs/heads/*", "refs/tags/*"}, "ls");
  EXPECT_EQ(m, (RefMap{{"refs/heads/main", A}, {"refs/tags/v1", B}}));
  auto f = parse_ref_lines(A + " refs/heads/x\n", {"refs/heads/*"}, "fer");
  EXPECT_EQ(f.at("refs/heads/x"), A);
}

TEST(Refs, RejectsMalformedLinesWithOffset) {
  try {
    parse_ref_lines(A + " refs/heads/x\nnot-a-sha refs/heads/y\n", {"refs/*"}, "src");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.offset(), 54u);
  }
}

TEST(Refs, StateRoundTripsAndRejectsDamage) {
  RefMap m{{"refs/heads/$(rm${IFS}-rf);x", A}, {"refs/tags/\xc3\xa9t\xc3\xa9", B}};
  EXPECT_EQ(parse_state(format_state(m), "s"), m);
  EXPECT_THROW(parse_state("garbage\n", "s"), Error);
  auto text = format_state(m);
  EXPECT_THROW(parse_state(text.substr(0, text.size() - 3), "s"), Error);  // truncated
  EXPECT_THROW(parse_state(format_state({}) + A + " refs/heads/a b\n", "s"), Error);
}

TEST(Refs, StoreAndLoadState) {
  testing::ScratchDir d;
  RefMap m{{"refs/heads/main", A}};
  RefMap got;
  EXPECT_FALSE(load_state(d / "s", got));
  store_state(d / "s", m);
  EXPECT_TRUE(load_state(d / "s", got));
  EXPECT_EQ(got, m);
}

}  // namespace
}  // namespace integral::poll
