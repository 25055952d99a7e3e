#include "integral/poll/config.h"

#include <gtest/gtest.h>

#include "integral/poll/test_repo.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral::poll {
namespace {

// twobit-gitpoller's sample configuration (src/twobit-gitpoller.conf.in) with @LIBDIR@ filled.
const char* kTwobit = R"([DEFAULT]
basedir = /var/lib/twobit
poll-interval = 300
type = git
hook-script = /usr/share/buildbot/contrib/git_buildbot.py
hook-master = localhost
hook-port = 9989
hook-user = pbchange
hook-passwd = p4$$wd
hook-logfile = /tmp/git_buildbot.log

[bitbake]
url = git://github.com/openembedded/bitbake.git
gitdir = bitbake.git
hook-projects = ['bitbake']

[openxt]
type = org
name = openxt
basedir = /var/lib/twobit/openxt
hook-projects = ['openxt']
)";

TEST(Config, ReadsTwobitConfigAsIs) {
  auto c = parse_poll_config(kTwobit, "twobit.conf");
  ASSERT_EQ(c.repos.size(), 1u);
  const auto& r = c.repos[0];
  EXPECT_EQ(r.name, "bitbake");
  EXPECT_EQ(r.url, "git://github.com/openembedded/bitbake.git");
  EXPECT_EQ(r.gitdir, "/var/lib/twobit/bitbake.git");
  EXPECT_EQ(r.state_file, "/var/lib/twobit/bitbake.git.delivered");
  EXPECT_EQ(r.poll_interval.count(), 300);
  EXPECT_EQ(r.refs, (std::vector<std::string>{"refs/heads/*", "refs/tags/*"}));
  ASSERT_TRUE(r.hook);
  EXPECT_EQ(r.hook->kind, HookConfig::Kind::kScript);
  EXPECT_EQ(r.hook->script, "/usr/share/buildbot/contrib/git_buildbot.py");
  EXPECT_EQ(r.hook->master, "localhost");
  EXPECT_EQ(r.hook->port, "9989");
  EXPECT_EQ(r.hook->user, "pbchange");
  EXPECT_EQ(r.hook->passwd, "p4$$wd");
  EXPECT_EQ(r.hook->logfile, "/tmp/git_buildbot.log");
  EXPECT_EQ(r.hook->projects, std::vector<std::string>{"bitbake"});
  ASSERT_EQ(c.orgs.size(), 1u);
  EXPECT_EQ(c.orgs[0].org, "openxt");
  EXPECT_EQ(c.orgs[0].api_url, "https://api.github.com");
  EXPECT_EQ(c.orgs[0].basedir, "/var/lib/twobit/openxt");
  EXPECT_EQ(c.orgs[0].repo_template.hook->projects, std::vector<std::string>{"openxt"});
}

TEST(Config, ModernKeys) {
  auto c = parse_poll_config(R"([DEFAULT]
concurrency = 8
status-file = /run/poll.json
[a]
type = git
url = https://example.org/a.git
gitdir = /m/a.git
refs = refs/heads/* refs/notes/commits
timeout = 20
hook-type = buildbot
hook-master = 127.0.0.1
hook-port = 9989
hook-timeout = 60
hook-on-clone = yes
buildbot-category = ci
buildbot-first-parent = yes
buildbot-max-changes = 200
buildbot-commit-time = yes
[b]
type = git
url = u
gitdir = /m/b.git
)",
                             "m.conf");
  EXPECT_EQ(c.concurrency, 8);
  EXPECT_EQ(c.status_file, "/run/poll.json");
  const auto& a = c.repos[0];
  EXPECT_EQ(a.refs, (std::vector<std::string>{"refs/heads/*", "refs/notes/commits"}));
  EXPECT_EQ(a.timeout.count(), 20);
  EXPECT_EQ(a.hook->kind, HookConfig::Kind::kBuildbot);
  EXPECT_EQ(a.hook->script, "buildbot");
  EXPECT_EQ(a.hook->timeout.count(), 60);
  EXPECT_TRUE(a.hook->on_clone);
  EXPECT_EQ(a.hook->category, "ci");
  EXPECT_TRUE(a.hook->first_parent);
  EXPECT_EQ(a.hook->max_changes, 200u);
  EXPECT_TRUE(a.hook->commit_time);
  EXPECT_FALSE(c.repos[1].hook);  // no hook-script: polled without a hook, as twobit did
}

TEST(Config, RejectsMistakes) {
  auto bad = [](const std::string& text) {
    EXPECT_THROW(parse_poll_config(text, "x.conf"), Error) << text;
  };
  bad("[a]\ntype = git\nurl = u\ngitdir = g\nhook-scrpit = typo\n");
  bad("[a]\nurl = u\ngitdir = g\n");  // no type
  bad("[a]\ntype = git\nurl = u\ngitdir = g\nhook-type = buildbot\nhook-master = m\n"
      "buildbot-max-changes = -1\n");
  bad("[a]\ntype = svn\nurl = u\ngitdir = g\n");  // bad type
  bad("[a]\ntype = git\ngitdir = g\n");           // no url
  bad("[a]\ntype = git\nurl = u\n");              // no gitdir
  bad("[a]\ntype = git\nurl = u\ngitdir = g\npoll-interval = soon\n");
  bad("[a]\ntype = git\nurl = u\ngitdir = g\nrefs = refs/*\n");  // would prune keep refs
  bad("[a]\ntype = git\nurl = u\ngitdir = g\nrefs = heads/*\n");
  bad("[a]\ntype = git\nurl = u\ngitdir = /m/x\n[b]\ntype = git\nurl = v\ngitdir = /m/x\n");
  bad("[a]\ntype = git\nurl = u\ngitdir = g\nhook-type = buildbot\n");  // no master
}

TEST(Config, TokenFromFileOrEnvironment) {
  testing::ScratchDir d;
  write_file_atomic(d / "tok", "ghp_secret\n");
  RepoConfig r;
  r.token_file = d / "tok";
  EXPECT_EQ(read_token(r), "ghp_secret");
  RepoConfig e;
  e.token_env = "INTEGRAL_POLL_TEST_TOKEN";
  ::setenv("INTEGRAL_POLL_TEST_TOKEN", "from-env", 1);
  EXPECT_EQ(read_token(e), "from-env");
  ::unsetenv("INTEGRAL_POLL_TEST_TOKEN");
  EXPECT_THROW(read_token(e), Error);
  EXPECT_EQ(read_token(RepoConfig{}), "");
}

TEST(Config, TokenTakenOutOfTheEnvironmentForChildren) {
  auto cfg = parse_poll_config(
      "[o]\ntype = org\nname = acme\ntoken-env = INTEGRAL_POLL_TEST_TAKEN\n"
      "api-url = https://ghe.example.org/api/v3/\n",
      "t.conf");
  ::setenv("INTEGRAL_POLL_TEST_TAKEN", "ghp_taken", 1);
  take_token_env(cfg);
  EXPECT_EQ(std::getenv("INTEGRAL_POLL_TEST_TAKEN"), nullptr);  // children cannot inherit it
  EXPECT_EQ(read_token(cfg.orgs.at(0).repo_template), "ghp_taken");
  EXPECT_EQ(cfg.orgs.at(0).repo_template.token_origin, "https://ghe.example.org");
  EXPECT_FALSE(cfg.orgs.at(0).prune_mirrors);  // mirrors of vanished repositories are kept
  EXPECT_EQ(cfg.orgs.at(0).rate_limit_wait, Seconds(60));
}

TEST(Config, RedactsCredentialsInUrls) {
  EXPECT_EQ(redact_url("https://user:tok@github.com/o/r.git"), "https://***@github.com/o/r.git");
  EXPECT_EQ(redact_url("https://github.com/o/r@x.git"), "https://github.com/o/r@x.git");
  EXPECT_EQ(redact_url("git@github.com:o/r.git"), "git@github.com:o/r.git");
}

}  // namespace
}  // namespace integral::poll
