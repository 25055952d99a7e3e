#include "integral/poll/hook.h"

#include <fmt/format.h>

#include "integral/poll/buildbot.h"
#include "integral/poll/process.h"
#include "integral/util/text.h"

namespace integral::poll {

std::vector<std::string> hook_script_argv(const HookConfig& h, const std::string& project) {
  std::vector<std::string> argv{h.script};
  if (!h.master.empty())
    argv.push_back("--master=" + h.master + (h.port.empty() ? "" : ":" + h.port));
  if (!h.user.empty()) argv.push_back("--username=" + h.user);
  if (!h.passwd.empty()) argv.push_back("--auth=" + h.passwd);
  if (!h.logfile.empty()) argv.push_back("--logfile=" + h.logfile);
  if (!h.repository.empty()) argv.push_back("--repository=" + h.repository);
  if (!project.empty()) argv.push_back("--project=" + project);
  return argv;
}

bool hook_reported_error(const std::string& err) {
  LineReader lines(err);
  std::string_view line;
  size_t offset = 0;
  while (lines.next(line, offset))
    if (line.rfind("git_buildbot: ERROR", 0) == 0) return true;
  return false;
}

HookOutcome run_hook(const HookConfig& h, const std::string& project,
                     const std::filesystem::path& gitdir, const std::vector<RefUpdate>& updates,
                     const std::atomic<bool>* cancel) {
  if (h.kind == HookConfig::Kind::kBuildbot)
    return send_to_buildbot(h, project, gitdir, updates, cancel);
  ProcessSpec spec;
  spec.argv = hook_script_argv(h, project);
  spec.env["GIT_DIR"] = std::filesystem::absolute(gitdir).string();
  spec.env["GIT_WORK_TREE"] = std::nullopt;
  spec.stdin_data = post_receive_lines(updates);
  spec.timeout = h.timeout;
  spec.max_output = 4u << 20;
  spec.cancel = cancel;
  auto r = run_process(spec);
  HookOutcome o;
  o.output = r.out + r.err;
  o.summary = r.describe();
  o.ok = r.ok();
  if (o.ok && hook_reported_error(r.err)) {
    o.ok = false;
    o.summary += " but reported an error";
  }
  return o;
}

}  // namespace integral::poll
