// Running the delivery hook for one repository (and one project of hook-projects): the
// post-receive contract (stdin "<old> <new> <ref>" lines, GIT_DIR set), no shell, a timeout,
// output captured. Success is exit 0 and no error report on stderr: git_buildbot.py exits 0
// even when the master is down, and only says "git_buildbot: ERROR: ..." on stderr.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "integral/poll/config.h"
#include "integral/poll/refs.h"

namespace integral::poll {

struct HookOutcome {
  bool ok = false;
  std::string summary;  // "exit 0", "exit 0 but reported an error", "timed out", ...
  std::string output;   // stdout then stderr, for the log
};

// The argv twobit-gitpoller gave its hook script (for kScript hooks).
std::vector<std::string> hook_script_argv(const HookConfig& h, const std::string& project);

// True when stderr holds a line of git_buildbot.py's error report.
bool hook_reported_error(const std::string& err);

HookOutcome run_hook(const HookConfig& h, const std::string& project,
                     const std::filesystem::path& gitdir, const std::vector<RefUpdate>& updates,
                     const std::atomic<bool>* cancel);

}  // namespace integral::poll
