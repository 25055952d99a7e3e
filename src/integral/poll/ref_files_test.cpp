#include "integral/poll/ref_files.h"

#include <gtest/gtest.h>

#include <fstream>

#include "integral/poll/test_repo.h"

namespace integral::poll {
namespace {

using testing::git;

const std::vector<std::string> kPatterns{"refs/heads/*", "refs/tags/*"};

// The reference: git for-each-ref in the same repository.
RefMap git_refs(const std::filesystem::path& bare) {
  auto text = git(bare, {"for-each-ref", "--format=%(objectname) %(refname)"});
  return parse_ref_lines(text + "\n", kPatterns, "for-each-ref");
}

TEST(RefFiles, EqualsForEachRefWithPackedLooseAndOverriddenRefs) {
  testing::ScratchDir d;
  testing::Upstream u(d);
  u.commit("a", "1", "one");
  git(u.work, {"tag", "-a", "-m", "annotated", "v1"});
  git(u.work, {"branch", "deep/nested/name"});
  git(u.work, {"branch", "ünï$(x)"});
  u.push({"main", "v1", "deep/nested/name", "ünï$(x)"});
  auto read = read_ref_files(u.bare, kPatterns);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, git_refs(u.bare));  // all loose

  git(u.bare, {"pack-refs", "--all"});
  read = read_ref_files(u.bare, kPatterns);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, git_refs(u.bare));  // all packed (with ^peeled lines)

  // A loose ref newer than its packed entry wins; a deleted ref is gone from both.
  u.commit("a", "2", "two");
  git(u.work, {"tag", "light"});
  u.push({"main", "light", ":deep/nested/name"});
  read = read_ref_files(u.bare, kPatterns);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, git_refs(u.bare));
  EXPECT_EQ(read->count("refs/heads/deep/nested/name"), 0u);

  // Only the configured patterns; a stale lock file is not a ref.
  std::ofstream(u.bare / "refs/heads/main.lock") << "junk\n";
  read = read_ref_files(u.bare, {"refs/tags/*"});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->size(), 2u);
  read = read_ref_files(u.bare, kPatterns);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, git_refs(u.bare));
}

TEST(RefFiles, LeavesUnusualStoresToGit) {
  testing::ScratchDir d;
  testing::Upstream u(d);
  u.commit("a", "1", "one");
  u.push({"main"});
  // A symbolic ref among the mirrored ones.
  git(u.bare, {"symbolic-ref", "refs/heads/alias", "refs/heads/main"});
  EXPECT_FALSE(read_ref_files(u.bare, kPatterns));
  git(u.bare, {"symbolic-ref", "--delete", "refs/heads/alias"});
  EXPECT_TRUE(read_ref_files(u.bare, kPatterns));
  // A malformed packed-refs line.
  std::ofstream(u.bare / "packed-refs") << "not-an-id refs/heads/x\n";
  EXPECT_FALSE(read_ref_files(u.bare, kPatterns));
}

}  // namespace
}  // namespace integral::poll
