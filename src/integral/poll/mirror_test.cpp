#include "integral/poll/mirror.h"

#include <gtest/gtest.h>

#include "integral/poll/test_repo.h"

namespace integral::poll {
namespace {

using testing::git;

// The reference: git's own view of the upstream (for-each-ref there).
RefMap upstream_refs(const testing::Upstream& u) {
  auto text = git(u.bare, {"for-each-ref", "--format=%(objectname) %(refname)"});
  return parse_ref_lines(text + "\n", {"refs/heads/*", "refs/tags/*"}, "upstream");
}

TEST(Mirror, ClonesFetchesPrunesAndFollowsForcedPushes) {
  testing::ScratchDir d;
  testing::Upstream u(d);
  u.commit("a.txt", "1", "one");
  git(u.work, {"tag", "-a", "-m", "v1", "v1"});
  u.push({"main", "v1"});
  git(u.work, {"branch", "side"});
  u.push({"side"});

  RepoConfig cfg;
  cfg.name = "t";
  cfg.url = u.bare.string();
  cfg.gitdir = d / "mirror.git";
  Mirror m(cfg, nullptr);
  EXPECT_FALSE(m.present());
  auto cloned = m.clone_to_temp();
  m.install_temp();
  EXPECT_TRUE(m.present());
  EXPECT_EQ(cloned, upstream_refs(u));
  EXPECT_EQ(m.local_refs(), upstream_refs(u));
  EXPECT_EQ(m.remote_refs(), upstream_refs(u));
  EXPECT_FALSE(std::filesystem::exists(m.temp_dir()));

  // forced push, deletion, moved tag
  git(u.work, {"commit", "-q", "--amend", "-m", "one, rewritten"});
  git(u.work, {"tag", "-f", "-a", "-m", "v1 moved", "v1"});
  u.push({"+main", "+v1", ":side"});
  EXPECT_NE(m.remote_refs(), m.local_refs());
  m.fetch();
  EXPECT_EQ(m.local_refs(), upstream_refs(u));
  EXPECT_EQ(m.local_refs().count("refs/heads/side"), 0u);
}

TEST(Mirror, KeepRefsHoldDeliveredObjects) {
  testing::ScratchDir d;
  testing::Upstream u(d);
  auto c1 = u.commit("a", "1", "one");
  u.push({"main"});
  RepoConfig cfg;
  cfg.url = u.bare.string();
  cfg.gitdir = d / "m.git";
  Mirror m(cfg, nullptr);
  m.clone_to_temp();
  m.install_temp();
  m.keep_objects({c1});
  EXPECT_EQ(git(cfg.gitdir, {"rev-parse", "refs/integral/keep/" + c1}), c1);
  auto c2 = u.commit("a", "2", "two");
  u.push({"main"});
  m.fetch();
  m.keep_objects({c2});
  EXPECT_EQ(git(cfg.gitdir, {"for-each-ref", "--format=%(refname)", "refs/integral/"}),
            "refs/integral/keep/" + c2);
  // keep refs are not mirrored refs
  EXPECT_EQ(m.local_refs().size(), 1u);
}

TEST(Mirror, UnreachableRemoteIsAGitFailure) {
  testing::ScratchDir d;
  RepoConfig cfg;
  cfg.url = (d / "nothing-here.git").string();
  cfg.gitdir = d / "m.git";
  cfg.timeout = std::chrono::seconds(20);
  Mirror m(cfg, nullptr);
  EXPECT_THROW(m.remote_refs(), GitFailure);
  EXPECT_THROW(m.clone_to_temp(), GitFailure);
  EXPECT_FALSE(std::filesystem::exists(m.temp_dir()));
}

}  // namespace
}  // namespace integral::poll
