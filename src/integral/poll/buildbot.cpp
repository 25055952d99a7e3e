#include "integral/poll/buildbot.h"

#include <fmt/format.h>

#include "integral/poll/process.h"

namespace integral::poll {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxCommitsPerRef = 200;  // more (a new branch with all history): tip only

ProcessResult git_in(const fs::path& gitdir, std::vector<std::string> args,
                     const std::atomic<bool>* cancel) {
  ProcessSpec spec;
  spec.argv = {"git", "--git-dir=" + gitdir.string()};
  for (auto& a : args) spec.argv.push_back(std::move(a));
  spec.env["GIT_DIR"] = std::nullopt;
  spec.env["LC_ALL"] = "C";
  spec.timeout = std::chrono::seconds(120);
  spec.cancel = cancel;
  return run_process(spec);
}

std::vector<std::string> split_lines(const std::string& s, char sep = '\n') {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    auto e = s.find(sep, pos);
    if (e == std::string::npos) e = s.size();
    if (e > pos) out.push_back(s.substr(pos, e - pos));
    pos = e + 1;
  }
  return out;
}

// The commit a tag or branch tip names (tags may point at tag objects), or empty.
std::string peel(const fs::path& gitdir, const std::string& id, const std::atomic<bool>* cancel) {
  auto r = git_in(gitdir, {"rev-parse", "--verify", "--quiet", id + "^{commit}"}, cancel);
  auto lines = split_lines(r.out);
  return r.ok() && !lines.empty() ? lines[0] : std::string();
}

BuildbotChange describe(const fs::path& gitdir, const std::string& rev, const std::string& branch,
                        const std::atomic<bool>* cancel) {
  BuildbotChange c;
  c.revision = rev;
  c.branch = branch;
  auto r = git_in(gitdir, {"show", "-s", "--format=%an <%ae>%x00%ct%x00%B", rev}, cancel);
  if (r.ok()) {
    auto a = r.out.find('\0');
    auto b = a == std::string::npos ? a : r.out.find('\0', a + 1);
    if (b != std::string::npos) {
      c.author = r.out.substr(0, a);
      c.when = std::atoll(r.out.substr(a + 1, b - a - 1).c_str());
      c.comments = r.out.substr(b + 1);
      while (!c.comments.empty() && c.comments.back() == '\n') c.comments.pop_back();
    }
  }
  r = git_in(gitdir, {"diff-tree", "-r", "-z", "--name-only", "--no-commit-id", "--root", rev},
             cancel);
  if (r.ok()) c.files = split_lines(r.out, '\0');
  return c;
}

}  // namespace

std::vector<BuildbotChange> buildbot_changes(const fs::path& gitdir,
                                             const std::vector<RefUpdate>& updates,
                                             const std::atomic<bool>* cancel) {
  std::vector<BuildbotChange> changes;
  for (const auto& u : updates) {
    if (is_zero_id(u.new_id)) continue;  // deletions build nothing (as git_buildbot.py)
    bool branch = u.ref.rfind("refs/heads/", 0) == 0;
    bool tag = u.ref.rfind("refs/tags/", 0) == 0;
    if (!branch && !tag) continue;
    std::string name = u.ref.substr(branch ? 11 : 10);
    std::string tip = peel(gitdir, u.new_id, cancel);
    if (tip.empty()) continue;  // a tag of a tree or blob: nothing to build
    if (tag) {
      changes.push_back(describe(gitdir, tip, name, cancel));
      continue;
    }
    // Commits new to this branch: not reachable from its old tip (a forced push: from the
    // merge base on), and for a new branch not reachable from any other branch.
    std::vector<std::string> args{"rev-list", "--reverse", tip, "--not"};
    if (is_zero_id(u.old_id)) {
      args.push_back("--exclude=" + name);
      args.push_back("--branches");
    } else {
      args.push_back(u.old_id);
    }
    auto r = git_in(gitdir, args, cancel);
    auto revs = r.ok() ? split_lines(r.out) : std::vector<std::string>{};
    // Nothing new (a rewind, or a branch at a known commit), an unknown old id (a re-cloned
    // mirror), or too much history: announce the tip alone, so a build still runs.
    if (revs.empty() || revs.size() > kMaxCommitsPerRef) revs = {tip};
    for (const auto& rev : revs) changes.push_back(describe(gitdir, rev, name, cancel));
  }
  return changes;
}

HookOutcome send_to_buildbot(const HookConfig& h, const std::string& project,
                             const fs::path& gitdir, const std::vector<RefUpdate>& updates,
                             const std::atomic<bool>* cancel) {
  HookOutcome o;
  auto changes = buildbot_changes(gitdir, updates, cancel);
  o.ok = true;
  o.summary = fmt::format("{} change(s) sent", changes.size());
  auto deadline = std::chrono::steady_clock::now() + h.timeout;
  for (const auto& c : changes) {
    ProcessSpec spec;
    spec.argv = {h.script, "sendchange", "--master",
                 h.master + (h.port.empty() ? "" : ":" + h.port)};
    if (!h.user.empty() || !h.passwd.empty()) {
      spec.argv.push_back("--auth");
      spec.argv.push_back(h.user + ":" + h.passwd);
    }
    spec.argv.insert(
        spec.argv.end(),
        {"--vc", "git", "--who", c.author.empty() ? "unknown" : c.author, "--branch", c.branch,
         "--revision", c.revision, "--comments", c.comments, "--when", std::to_string(c.when)});
    if (!project.empty()) spec.argv.insert(spec.argv.end(), {"--project", project});
    if (!h.repository.empty()) spec.argv.insert(spec.argv.end(), {"--repository", h.repository});
    spec.argv.push_back("--");
    for (const auto& f : c.files) spec.argv.push_back(f);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    spec.timeout = left.count() > 0 ? left : std::chrono::milliseconds(1);
    spec.cancel = cancel;
    spec.max_output = 1u << 20;
    auto r = run_process(spec);
    o.output += r.out + r.err;
    // sendchange says "change sent successfully" on success; anything else on stderr after
    // exit 0 is treated as a failure rather than a silent loss.
    if (!r.ok() || r.out.find("change sent successfully") == std::string::npos) {
      o.ok = false;
      o.summary = fmt::format("sendchange of {} on {}: {}", c.revision.substr(0, 12), c.branch,
                              r.describe());
      return o;
    }
  }
  return o;
}

}  // namespace integral::poll
