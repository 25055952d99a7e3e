#include "integral/poll/process.h"

#include <gtest/gtest.h>

namespace integral::poll {
namespace {

TEST(Process, FeedsStdinAndCapturesBothStreams) {
  ProcessSpec s;
  s.argv = {"sh", "-c", "cat; echo oops >&2; exit 3"};
  s.stdin_data = "a b c\nsecond\n";
  auto r = run_process(s);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.out, "a b c\nsecond\n");
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_EQ(r.describe(), "exit 3");
}

TEST(Process, ArgumentsAreDataNotShell) {
  ProcessSpec s;
  const std::string nasty = "$(touch pwned); `id` | ; & > x 'q\" \xc3\xa9";
  s.argv = {"printf", "%s", nasty};
  auto r = run_process(s);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.out, nasty);
}

TEST(Process, EnvironmentOverridesAndRemovals) {
  ::setenv("INTEGRAL_POLL_TEST_DROP", "1", 1);
  ProcessSpec s;
  s.argv = {"sh", "-c", "echo \"${INTEGRAL_POLL_TEST_SET}|${INTEGRAL_POLL_TEST_DROP-unset}\""};
  s.env["INTEGRAL_POLL_TEST_SET"] = "value with space";
  s.env["INTEGRAL_POLL_TEST_DROP"] = std::nullopt;
  auto r = run_process(s);
  EXPECT_EQ(r.out, "value with space|unset\n");
}

TEST(Process, TimeoutKillsTheWholeGroup) {
  ProcessSpec s;
  // The grandchild keeps stdout open; killing only the child would hang on it.
  s.argv = {"sh", "-c", "sleep 30 & sleep 30"};
  s.timeout = std::chrono::milliseconds(300);
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_process(s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
}

TEST(Process, CancelStopsTheChild) {
  std::atomic<bool> cancel{true};
  ProcessSpec s;
  s.argv = {"sleep", "30"};
  s.cancel = &cancel;
  auto r = run_process(s);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.ok());
}

TEST(Process, MissingProgramIs127) {
  ProcessSpec s;
  s.argv = {"/nonexistent/integral-no-such-program"};
  auto r = run_process(s);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_FALSE(r.ok());
}

TEST(Process, ChildThatIgnoresStdinDoesNotHang) {
  ProcessSpec s;
  s.argv = {"true"};
  s.stdin_data = std::string(1 << 20, 'x');  // more than a pipe holds
  auto r = run_process(s);
  EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace integral::poll
