#include "integral/poll/buildbot.h"

#include <gtest/gtest.h>

#include "integral/poll/test_repo.h"

namespace integral::poll {
namespace {

using testing::git;

TEST(Buildbot, ChangesFollowGitBuildbotSemantics) {
  testing::ScratchDir d;
  testing::Upstream u(d);
  auto c1 = u.commit("a.txt", "1", "one");
  auto c2 = u.commit("b.txt", "2", "two: add b");
  auto c3 = u.commit("dir/c.txt", "3", "three");
  git(u.work, {"tag", "-a", "-m", "release", "v1"});
  auto tag_obj = git(u.work, {"rev-parse", "v1"});
  git(u.work, {"branch", "old"}, "");
  auto gd = u.work / ".git";
  const std::string Z(40, '0');

  // fast-forward c1..c3: one change per commit, oldest first, with its files
  auto ch = buildbot_changes(gd, {{c1, c3, "refs/heads/main"}}, nullptr);
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch[0].revision, c2);
  EXPECT_EQ(ch[0].branch, "main");
  EXPECT_EQ(ch[0].author, "Test Author <author@example.org>");
  EXPECT_EQ(ch[0].comments, "two: add b");
  EXPECT_EQ(ch[0].files, std::vector<std::string>{"b.txt"});
  EXPECT_EQ(ch[1].revision, c3);
  EXPECT_EQ(ch[1].files, std::vector<std::string>{"dir/c.txt"});
  EXPECT_EQ(std::to_string(ch[1].when), git(u.work, {"show", "-s", "--format=%ct", c3}));

  // an annotated tag: one change on the tag's name, revision the commit it names
  ch = buildbot_changes(gd, {{Z, tag_obj, "refs/tags/v1"}}, nullptr);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_EQ(ch[0].revision, c3);
  EXPECT_EQ(ch[0].branch, "v1");

  // a new branch at a known commit: the tip alone; deletions and other refs: nothing
  ch = buildbot_changes(gd, {{Z, c3, "refs/heads/old"}}, nullptr);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_EQ(ch[0].revision, c3);
  EXPECT_TRUE(buildbot_changes(gd, {{c3, Z, "refs/heads/x"}}, nullptr).empty());
  EXPECT_TRUE(buildbot_changes(gd, {{Z, c3, "refs/notes/commits"}}, nullptr).empty());

  // a forced push from c3 to a sibling of c2: only the new commit
  git(u.work, {"checkout", "-q", "-b", "forced", c2});
  auto c4 = u.commit("d.txt", "4", "four");
  ch = buildbot_changes(gd, {{c3, c4, "refs/heads/main"}}, nullptr);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_EQ(ch[0].revision, c4);
}

}  // namespace
}  // namespace integral::poll
