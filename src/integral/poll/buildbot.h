// The built-in buildbot adapter: the changes a post-receive batch means, sent to a buildbot
// master's PB change source with `buildbot sendchange` (Debian's buildbot package), by the
// rules of buildbot's contrib/git_buildbot.py as it stood when Debian 12's buildbot 3.7.0
// was released (buildbot.cpp lists them). Unlike git_buildbot.py, a master that is down or
// refuses the login is a failure (sendchange exits non-zero, or prints an error).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "integral/poll/config.h"
#include "integral/poll/hook.h"
#include "integral/poll/refs.h"

namespace integral::poll {

struct BuildbotChange {
  std::string revision, branch, author, comments;
  std::vector<std::string> files;
  long long when = 0;  // 0: none sent (the master uses the time it receives the change)
};

// The changes for one batch of updates in the repository at `gitdir` (runs git there), with
// the refs of `gitdir` already at their new values, as in a post-receive hook. Uses h's
// first_parent, max_changes and commit_time.
std::vector<BuildbotChange> buildbot_changes(const std::filesystem::path& gitdir,
                                             const std::vector<RefUpdate>& updates,
                                             const HookConfig& h, const std::atomic<bool>* cancel);

HookOutcome send_to_buildbot(const HookConfig& h, const std::string& project,
                             const std::filesystem::path& gitdir,
                             const std::vector<RefUpdate>& updates,
                             const std::atomic<bool>* cancel);

}  // namespace integral::poll
