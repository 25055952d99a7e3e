#include "integral/poll/poller.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "integral/poll/test_repo.h"
#include "integral/util/file_io.h"

namespace integral::poll {
namespace {

using testing::git;

// Sorted lines of a file (order within a batch is not part of the contract).
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  size_t pos = 0;
  while (pos < text.size()) {
    auto e = text.find('\n', pos);
    v.push_back(text.substr(pos, e - pos));
    pos = e + 1;
  }
  std::sort(v.begin(), v.end());
  return v;
}

class PollRepo : public ::testing::Test {
 protected:
  void SetUp() override {
    // git's own post-receive hook in the upstream records the reference lines.
    write_file_atomic(u.bare / "hooks/post-receive", "#!/bin/sh\ncat > \"$GIT_DIR/../git-saw\"\n");
    ::chmod((u.bare / "hooks/post-receive").c_str(), 0755);
    set_hook("cat > \"" + (d / "we-saw").string() + "\"\n");
    cfg.name = "r";
    cfg.url = u.bare.string();
    cfg.gitdir = d / "mirror.git";
    cfg.state_file = d / "mirror.git.delivered";
    cfg.timeout = std::chrono::seconds(60);
  }
  void set_hook(const std::string& body) {
    write_file_atomic(d / "hook", "#!/bin/sh\n" + body);
    ::chmod((d / "hook").c_str(), 0755);
    if (!cfg.hook) cfg.hook = HookConfig{};
    cfg.hook->script = (d / "hook").string();
  }
  std::string git_saw() { return read_text_file(d / "git-saw"); }
  std::string we_saw() {
    std::error_code ec;
    if (!std::filesystem::exists(d / "we-saw", ec)) return "";
    auto s = read_text_file(d / "we-saw");
    std::filesystem::remove(d / "we-saw");
    return s;
  }
  RepoResult poll() { return poll_repository(cfg, log, nullptr); }
  // Upstream's first commit polled as the baseline, then a second commit pushed (not polled).
  void baseline_then_second_commit() {
    u.commit("a", "1", "one");
    u.push({"main"});
    ASSERT_TRUE(poll().ok);
    u.commit("a", "2", "two");
    u.push({"main"});
  }

  testing::ScratchDir d;
  testing::Upstream u{d};
  RepoConfig cfg;
  Logger log{(d / "poll.log").string()};
};

TEST_F(PollRepo, FirstSightIsABaselineThenEveryMoveIsDelivered) {
  u.commit("a", "1", "one");
  u.push({"main"});
  auto r = poll();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.cloned);
  EXPECT_EQ(we_saw(), "");  // no hook for the initial clone

  u.commit("a", "2", "two");
  git(u.work, {"branch", "feature/$(touch${IFS}pwned);x"});
  git(u.work, {"tag", "-a", "-m", "t", "v\xc3\xa9"});
  u.push({"main", "feature/$(touch${IFS}pwned);x", "v\xc3\xa9"});
  r = poll();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.delivered, 3u);
  EXPECT_EQ(lines_of(we_saw()), lines_of(git_saw()));
  EXPECT_FALSE(std::filesystem::exists(d / "pwned"));

  r = poll();  // nothing changed: no fetch, no hook
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(r.fetched);
  EXPECT_EQ(we_saw(), "");
}

TEST_F(PollRepo, FailedHookKeepsUpdatesPendingUntilItSucceeds) {
  ASSERT_NO_FATAL_FAILURE(baseline_then_second_commit());
  auto expected = git_saw();
  set_hook("cat > \"" + (d / "we-saw").string() + "\"; exit 1\n");
  auto r = poll();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.pending, 1u);
  EXPECT_EQ(we_saw(), expected);
  r = poll();  // retried: the same line again
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(we_saw(), expected);
  set_hook("cat > \"" + (d / "we-saw").string() + "\"\n");
  r = poll();
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_EQ(we_saw(), expected);
  EXPECT_TRUE(poll().ok);
  EXPECT_EQ(we_saw(), "");
}

TEST_F(PollRepo, BrokenMirrorIsReclonedAndNothingIsLost) {
  ASSERT_NO_FATAL_FAILURE(baseline_then_second_commit());
  std::filesystem::remove_all(cfg.gitdir / "objects");
  std::filesystem::remove_all(cfg.gitdir / "refs");
  auto r = poll();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.cloned);
  EXPECT_EQ(we_saw(), git_saw());
}

TEST_F(PollRepo, EachProjectHasItsOwnDeliveredState) {
  u.commit("a", "1", "one");
  u.push({"main"});
  cfg.hook->projects = {"p1", "p 2"};
  ASSERT_TRUE(poll().ok);
  EXPECT_TRUE(std::filesystem::exists(consumer_state_file(cfg, "p1")));
  EXPECT_TRUE(std::filesystem::exists(d / "mirror.git.delivered.p%202"));
  u.commit("a", "2", "two");
  u.push({"main"});
  // The hook fails for project "p 2" only: p1 advances, "p 2" stays pending.
  set_hook("for a; do case \"$a\" in --project=p\\ 2) exit 1;; esac; done; cat >> \"" +
           (d / "we-saw").string() + "\"\n");
  auto r = poll();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_EQ(r.pending, 1u);
}

TEST_F(PollRepo, ShutdownDuringAHookIsNotAFailure) {
  ASSERT_NO_FATAL_FAILURE(baseline_then_second_commit());
  // The hook announces itself and then hangs; stop is raised while it runs.
  auto marker = d / "hook-started";
  set_hook("touch \"" + marker.string() + "\"; exec sleep 30\n");
  PollConfig pc;
  pc.repos = {cfg};
  pc.status_file = d / "status.json";
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    for (int i = 0; i < 600 && !std::filesystem::exists(marker); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
  });
  int failed = run_poller(pc, log, RunOptions{.once = false, .stop = &stop});
  stopper.join();
  ASSERT_TRUE(std::filesystem::exists(marker));
  EXPECT_EQ(failed, 0);
  auto st = nlohmann::json::parse(read_text_file(pc.status_file))["repositories"];
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0]["consecutive_failures"], 0);
  EXPECT_EQ(st[0]["pending"], 1);  // still owed: the next start delivers it
  EXPECT_NE(read_text_file(d / "poll.log").find("interrupted by shutdown"), std::string::npos);
}

TEST(Backoff, DoublesAndCaps) {
  using std::chrono::seconds;
  EXPECT_EQ(backoff_delay(seconds(300), 1, seconds(3600)), seconds(30));
  EXPECT_EQ(backoff_delay(seconds(300), 3, seconds(3600)), seconds(120));
  EXPECT_EQ(backoff_delay(seconds(300), 30, seconds(3600)), seconds(3600));
  EXPECT_EQ(backoff_delay(seconds(5), 2, seconds(3600)), seconds(10));
}

}  // namespace
}  // namespace integral::poll
