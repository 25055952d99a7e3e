#include "integral/poll/hook.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "integral/poll/test_repo.h"
#include "integral/util/file_io.h"

namespace integral::poll {
namespace {

TEST(Hook, TwobitArgv) {
  HookConfig h;
  h.script = "/usr/share/buildbot/contrib/git_buildbot.py";
  h.master = "localhost";
  h.port = "9989";
  h.user = "pbchange";
  h.passwd = "p4$$wd";
  h.logfile = "/tmp/l";
  EXPECT_EQ(hook_script_argv(h, "bitbake"),
            (std::vector<std::string>{h.script, "--master=localhost:9989", "--username=pbchange",
                                      "--auth=p4$$wd", "--logfile=/tmp/l", "--project=bitbake"}));
  HookConfig bare;
  bare.script = "/bin/true";
  EXPECT_EQ(hook_script_argv(bare, ""), std::vector<std::string>{"/bin/true"});
}

TEST(Hook, GitBuildbotErrorLines) {
  EXPECT_TRUE(hook_reported_error(
      "x\ngit_buildbot: ERROR: Could not connect to 127.0.0.1:9999: Connection was refused\n"));
  EXPECT_FALSE(hook_reported_error("No changes found\n"));
}

class HookRun : public ::testing::Test {
 protected:
  void write_script(const std::string& body) {
    write_file_atomic(d / "hook", "#!/bin/sh\n" + body);
    ::chmod((d / "hook").c_str(), 0755);
    h.script = (d / "hook").string();
  }
  testing::ScratchDir d;
  HookConfig h;
  std::vector<RefUpdate> updates{{std::string(40, '0'), std::string(40, 'a'), "refs/heads/$(x);y"}};
};

TEST_F(HookRun, GetsLinesOnStdinAndGitDir) {
  write_script(
      "cat > \"$(dirname \"$0\")/stdin\"; printf %s \"$GIT_DIR\" > \"$(dirname \"$0\")/gitdir\"\n");
  auto o = run_hook(h, "", d / "m.git", updates, nullptr);
  EXPECT_TRUE(o.ok) << o.summary;
  EXPECT_EQ(read_text_file(d / "stdin"), post_receive_lines(updates));
  EXPECT_EQ(read_text_file(d / "gitdir"), (d / "m.git").string());
}

TEST_F(HookRun, FailureModes) {
  write_script("exit 1\n");
  EXPECT_FALSE(run_hook(h, "", d / "m.git", updates, nullptr).ok);
  write_script("echo 'git_buildbot: ERROR: Could not connect to x' >&2; exit 0\n");
  auto o = run_hook(h, "", d / "m.git", updates, nullptr);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.output.find("Could not connect"), std::string::npos);
  write_script("sleep 30\n");
  h.timeout = std::chrono::seconds(1);
  o = run_hook(h, "", d / "m.git", updates, nullptr);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.summary, "timed out");
}

}  // namespace
}  // namespace integral::poll
