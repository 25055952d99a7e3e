#include "integral/poll/buildbot.h"

#include <gtest/gtest.h>

#include <map>

#include "integral/poll/test_repo.h"

namespace integral::poll {
namespace {

using testing::git;

// One expected change, written by hand from git_buildbot.py's rules (buildbot.cpp lists them).
struct Row {
  std::string revision, branch, author, comments;
  std::vector<std::string> files;
};
const std::string kAuthor = "Test Author <author@example.org>";  // test_repo.h's identity
const std::string Z(40, '0');

void expect_rows(const std::vector<BuildbotChange>& got, const std::vector<Row>& want,
                 const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].revision, want[i].revision);
    EXPECT_EQ(got[i].branch, want[i].branch);
    EXPECT_EQ(got[i].author, want[i].author);
    EXPECT_EQ(got[i].comments, want[i].comments);
    EXPECT_EQ(got[i].files, want[i].files);
    EXPECT_EQ(got[i].when, 0);  // git_buildbot.py sends no time
  }
}

class BuildbotRules : public ::testing::Test {
 protected:
  BuildbotRules() : u(d), gd(u.work / ".git") {
    c1 = u.commit("a.txt", "1", "one");
    c2 = u.commit("b.txt", "2", "two: add b\n\nwhy b matters\n  indented");
    c3 = u.commit("dir/c.txt", "3", "three");
    git(u.work, {"checkout", "-q", "-b", "feature"});
    f1 = u.commit("f.txt", "f", "feature work");
    git(u.work, {"checkout", "-q", "-b", "side", c2});
    m1 = u.commit("m1.txt", "m1", "m one");
    m2 = u.commit("m2.txt", "m2", "m two");
    git(u.work, {"checkout", "-q", "-b", "emp", m1});
    git(u.work, {"commit", "-q", "--allow-empty", "-m", "empty"});
    e1 = git(u.work, {"rev-parse", "HEAD"});
    // A merge of feature into m1 that also edits a.txt, which neither side changed.
    git(u.work, {"checkout", "-q", "-b", "mrg", m1});
    git(u.work, {"merge", "-q", "--no-ff", "--no-commit", "feature"});
    mg = u.commit("a.txt", "changed in the merge", "merge feature");
    git(u.work, {"checkout", "-q", "--detach", c1});
  }
  // The branches exactly as a push left them (git_buildbot.py reads them after the push).
  void heads(const std::map<std::string, std::string>& want) {
    for (const auto& r :
         testing_split(git(u.work, {"for-each-ref", "--format=%(refname)", "refs/heads/"})))
      if (!want.count(r.substr(11))) git(u.work, {"update-ref", "-d", r});
    for (const auto& [b, id] : want) git(u.work, {"update-ref", "refs/heads/" + b, id});
  }
  static std::vector<std::string> testing_split(const std::string& s) {
    std::vector<std::string> out;
    size_t p = 0;
    while (p < s.size()) {
      auto e = s.find('\n', p);
      if (e == std::string::npos) e = s.size();
      if (e > p) out.push_back(s.substr(p, e - p));
      p = e + 1;
    }
    return out;
  }
  std::vector<BuildbotChange> run(const std::vector<RefUpdate>& ups) {
    return buildbot_changes(gd, ups, h, nullptr);
  }
  testing::ScratchDir d;
  testing::Upstream u;
  std::filesystem::path gd;
  HookConfig h;
  std::string c1, c2, c3, f1, m1, m2, e1, mg;
};

TEST_F(BuildbotRules, FastForwardSendsEachNewCommitOldestFirst) {
  heads({{"main", c3}});
  // Rule: old..new, one change per commit; comments = each message line + "\n" (git show's
  // indented message), author = git show's Author value, files = the commit's paths.
  expect_rows(run({{c1, c3, "refs/heads/main"}}),
              {{c2, "main", kAuthor, "two: add b\n\nwhy b matters\n  indented\n", {"b.txt"}},
               {c3, "main", kAuthor, "three\n", {"dir/c.txt"}}},
              "fast-forward");
}

TEST_F(BuildbotRules, NewBranchSendsCommitsNoOtherBranchHas) {
  // Rule: new tip minus every other branch tip. feature: f1 alone (c1..c3 are on main).
  heads({{"main", c3}, {"feature", f1}});
  expect_rows(run({{Z, f1, "refs/heads/feature"}}),
              {{f1, "feature", kAuthor, "feature work\n", {"f.txt"}}}, "new commits");
  // At a commit inside main: nothing (main's tip reaches c2). main used to announce c2 alone.
  heads({{"main", c3}, {"feature", f1}, {"old", c2}});
  expect_rows(run({{Z, c2, "refs/heads/old"}}), {}, "inside another branch");
  // At main's tip m2 (main forced to c2-m1-m2): main is dropped from the exclusions, as it has
  // the new tip's id; feature (f1) and old (c2) exclude c1, c2, so m1 and m2 are announced.
  heads({{"main", m2}, {"feature", f1}, {"old", c2}, {"release", m2}});
  expect_rows(run({{Z, m2, "refs/heads/release"}}),
              {{m1, "release", kAuthor, "m one\n", {"m1.txt"}},
               {m2, "release", kAuthor, "m two\n", {"m2.txt"}}},
              "at another branch's tip");
  // The only branch: its whole history.
  heads({{"solo", c3}});
  expect_rows(run({{Z, c3, "refs/heads/solo"}}),
              {{c1, "solo", kAuthor, "one\n", {"a.txt"}},
               {c2, "solo", kAuthor, "two: add b\n\nwhy b matters\n  indented\n", {"b.txt"}},
               {c3, "solo", kAuthor, "three\n", {"dir/c.txt"}}},
              "only branch");
}

TEST_F(BuildbotRules, ForcedPushSendsRewindThenNewCommits) {
  // Rule: merge-base(c3, m2) = c2 is not c3: "Rewind branch" at c2 by "dummy", files = paths
  // differing between c3 and c2 (dir/c.txt), then c2..m2.
  heads({{"main", m2}});
  expect_rows(run({{c3, m2, "refs/heads/main"}}),
              {{c2, "main", "dummy", "Rewind branch", {"dir/c.txt"}},
               {m1, "main", kAuthor, "m one\n", {"m1.txt"}},
               {m2, "main", kAuthor, "m two\n", {"m2.txt"}}},
              "forced");
  // A pure rewind m2 -> m1: merge base m1 is the new tip: the Rewind change alone.
  heads({{"main", m1}});
  expect_rows(run({{m2, m1, "refs/heads/main"}}),
              {{m1, "main", "dummy", "Rewind branch", {"m2.txt"}}}, "pure rewind");
  // Rewinding an empty commit: no path differs, and the Rewind change is only sent with files.
  expect_rows(run({{e1, m1, "refs/heads/main"}}), {}, "rewind without paths");
}

TEST_F(BuildbotRules, MergeCommitFilesStartWithMerge) {
  // Rule: m1..mg = c3, f1, mg (rev-list order; mg's parents m1, f1); a merge's files are
  // "merge" then the paths differing from every parent (a.txt, edited in the merge).
  heads({{"main", mg}, {"feature", f1}});
  expect_rows(run({{m1, mg, "refs/heads/main"}}),
              {{c3, "main", kAuthor, "three\n", {"dir/c.txt"}},
               {f1, "main", kAuthor, "feature work\n", {"f.txt"}},
               {mg, "main", kAuthor, "merge feature\n", {"merge", "a.txt"}}},
              "merge");
  h.first_parent = true;  // --first-parent: the merge alone
  expect_rows(run({{m1, mg, "refs/heads/main"}}),
              {{mg, "main", kAuthor, "merge feature\n", {"merge", "a.txt"}}}, "first parent");
}

TEST_F(BuildbotRules, TagsOnlyWhenCreated) {
  heads({{"main", m2}});
  git(u.work, {"tag", "-a", "-m", "release", "v1", m1});
  auto v1 = git(u.work, {"rev-parse", "v1"});
  auto tree = git(u.work, {"rev-parse", c1 + "^{tree}"});
  // Rule: a created tag is one change for the commit it names, branch = tag name.
  expect_rows(run({{Z, c2, "refs/tags/t1"}, {Z, v1, "refs/tags/v1"}}),
              {{c2, "t1", kAuthor, "two: add b\n\nwhy b matters\n  indented\n", {"b.txt"}},
               {m1, "v1", kAuthor, "m one\n", {"m1.txt"}}},
              "created");
  // Moved and deleted tags, a tag of a tree: nothing. (main used to announce a moved tag.)
  expect_rows(run({{c2, m1, "refs/tags/t1"}, {v1, Z, "refs/tags/v1"}, {Z, tree, "refs/tags/tr"}}),
              {}, "moved, deleted, tree");
}

TEST_F(BuildbotRules, DeletionsAndOtherRefsSendNothing) {
  heads({{"main", c3}});
  expect_rows(run({{f1, Z, "refs/heads/feature"}, {Z, c3, "refs/notes/commits"}}), {}, "none");
}

TEST_F(BuildbotRules, NoCommitLimitUnlessConfigured) {
  // 205 commits on a new branch from c1: all 205, oldest first (git_buildbot.py has no limit;
  // main sent the tip alone beyond 200).
  std::vector<std::string> ids;
  std::string prev = c1, tree = git(u.work, {"rev-parse", c1 + "^{tree}"});
  for (int i = 0; i < 205; ++i) {
    prev = git(u.work, {"commit-tree", tree, "-p", prev, "-m", "n" + std::to_string(i)});
    ids.push_back(prev);
  }
  heads({{"main", c3}, {"big", prev}});
  auto ch = run({{Z, prev, "refs/heads/big"}});
  ASSERT_EQ(ch.size(), 205u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ch[i].revision, ids[i]) << i;
  EXPECT_EQ(ch[7].comments, "n7\n");
  EXPECT_TRUE(ch[7].files.empty());
  h.max_changes = 200;  // integral's option: beyond it, the tip alone
  ch = run({{Z, prev, "refs/heads/big"}});
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_EQ(ch[0].revision, prev);
}

TEST_F(BuildbotRules, CommitTimeOnlyWhenConfigured) {
  heads({{"main", c3}});
  h.commit_time = true;
  auto ch = run({{c2, c3, "refs/heads/main"}});
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_EQ(std::to_string(ch[0].when), git(u.work, {"show", "-s", "--format=%ct", c3}));
}

TEST_F(BuildbotRules, UnknownOldTipIsHandledAsANewBranch) {
  // integral's choice (a re-cloned mirror may lack the delivered tip): the new-branch rule.
  heads({{"main", c3}, {"feature", f1}});
  expect_rows(run({{std::string(40, '1'), f1, "refs/heads/feature"}}),
              {{f1, "feature", kAuthor, "feature work\n", {"f.txt"}}}, "unknown old");
}

}  // namespace
}  // namespace integral::poll
