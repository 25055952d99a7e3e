#include "integral/poll/buildbot.h"

#include <fmt/format.h>

#include <optional>

#include "integral/poll/mirror.h"
#include "integral/poll/process.h"
#include "integral/util/text.h"

namespace integral::poll {

namespace fs = std::filesystem;

// The rules, as read in buildbot's contrib/git_buildbot.py of the buildbot 3.7.0 era (the
// script was then kept in buildbot-contrib; its history is back in the buildbot repository,
// unchanged from 2019-03 to 2023-10). Each post-receive line is handled on its own, against
// the repository as the whole push left it:
// - Only refs/heads/* and refs/tags/* count; a deleted branch or tag sends nothing.
// - A new branch announces every commit its tip reaches that no other branch tip reaches,
//   oldest first; branch tips equal to the new tip are not used as exclusions (the script
//   filters the new tip's id out of `rev-parse --not --branches`). So a new branch at a commit
//   that is only another branch's tip announces all of that history not on other branches,
//   and a new branch at a commit inside another branch announces nothing. No count limit.
// - An updated branch: with base = merge-base(old, new), if base is not old (forced push), a
//   change "Rewind branch" with revision base, author "dummy", no time, and as files the paths
//   that differ between old and base - sent only if there is at least one such path. Then,
//   unless new is base (a pure rewind), one change per commit of base..new, oldest first
//   (--first-parent optionally).
// - A new tag: one change for the commit it names, its branch being the tag's name. A moved
//   tag sends nothing (the script acts only on created tags).
// - A commit's change: revision, branch, author = git show's "Author:" value ("Name <mail>"),
//   comments = every message line as git show indents it, each ending in a newline, files =
//   "merge" first for a merge commit, then the paths of git show's raw diff (a merge: the
//   combined diff's); no time (the master stamps receipt); category, repository, project only
//   when configured.
// Where integral departs on purpose:
// - Paths come from git with -z and without rename detection: a renamed file is listed under
//   both names, and unusual names unquoted (the script's pattern drops renames and type
//   changes from a commit's files, stops altogether on one among a Rewind change's paths,
//   and keeps git's quoting).
// - An old tip the mirror lacks (a re-cloned mirror) or without a merge base with the new tip
//   (unrelated history) is handled as a new branch: the script has no defined result there.
// - buildbot-max-changes and buildbot-commit-time (config.h), off by default.

namespace {

ProcessResult git_in(const fs::path& gitdir, std::vector<std::string> args,
                     const std::atomic<bool>* cancel, std::string stdin_data = {}) {
  ProcessSpec spec;
  spec.argv = {"git", "--git-dir=" + gitdir.string()};
  for (auto& a : args) spec.argv.push_back(std::move(a));
  spec.env["GIT_DIR"] = std::nullopt;
  spec.env["LC_ALL"] = "C";
  spec.stdin_data = std::move(stdin_data);
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

// The ids git printed one a line, in order; a failed git is an error (not "no commits").
std::vector<std::string> git_lines(const fs::path& gitdir, std::vector<std::string> args,
                                   const std::atomic<bool>* cancel, std::string stdin_data = {}) {
  std::string args0 = args.empty() ? std::string() : args[0];
  auto r = git_in(gitdir, std::move(args), cancel, std::move(stdin_data));
  if (!r.ok()) throw GitFailure(args0 + " " + r.describe(), r.err);
  return split_lines(r.out);
}

BuildbotChange describe(const fs::path& gitdir, const std::string& rev, const std::string& branch,
                        bool commit_time, const std::atomic<bool>* cancel) {
  BuildbotChange c;
  c.revision = rev;
  c.branch = branch;
  auto r = git_in(gitdir, {"show", "-s", "--no-show-signature", "--pretty=full", rev}, cancel);
  if (!r.ok()) throw GitFailure("show " + r.describe(), r.err);
  bool merge = false, header = true;
  LineReader lines(r.out);
  std::string_view line;
  size_t offset = 0;
  while (lines.next(line, offset)) {
    if (line.empty()) header = false;
    if (line.rfind("    ", 0) == 0) {
      c.comments.append(line.substr(4));
      c.comments += '\n';
    } else if (header && line.rfind("Merge: ", 0) == 0) {
      merge = true;
    } else if (header && line.rfind("Author:", 0) == 0) {
      auto v = line.substr(7);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      c.author = std::string(v);
    }
  }
  if (merge) c.files.push_back("merge");
  r = git_in(gitdir, {"show", "--name-only", "-z", "--no-renames", "--format=", rev}, cancel);
  if (!r.ok()) throw GitFailure("show " + r.describe(), r.err);
  for (auto& f : split_lines(r.out, '\0'))
    if (f != "\n") c.files.push_back(f[0] == '\n' ? f.substr(1) : f);
  if (commit_time) {
    r = git_in(gitdir, {"show", "-s", "--format=%ct", rev}, cancel);
    if (r.ok()) c.when = std::atoll(r.out.c_str());
  }
  return c;
}

}  // namespace

std::vector<BuildbotChange> buildbot_changes(const fs::path& gitdir,
                                             const std::vector<RefUpdate>& updates,
                                             const HookConfig& h, const std::atomic<bool>* cancel) {
  std::vector<BuildbotChange> changes;
  for (const auto& u : updates) {
    if (is_zero_id(u.new_id)) continue;  // deleted branch or tag
    bool branch = u.ref.rfind("refs/heads/", 0) == 0;
    bool tag = u.ref.rfind("refs/tags/", 0) == 0;
    if (!branch && !tag) continue;
    std::string name = u.ref.substr(branch ? 11 : 10);
    std::string tip = peel(gitdir, u.new_id, cancel);
    if (tip.empty()) continue;  // a tag of a tree or blob: no commit to announce
    if (tag) {
      if (is_zero_id(u.old_id))
        changes.push_back(describe(gitdir, tip, name, h.commit_time, cancel));
      continue;  // a moved tag: nothing
    }
    std::string old = is_zero_id(u.old_id) ? std::string() : peel(gitdir, u.old_id, cancel);
    std::string base;
    if (!old.empty()) {
      auto r = git_in(gitdir, {"merge-base", old, tip}, cancel);
      auto lines = split_lines(r.out);
      base = r.ok() && !lines.empty() ? lines[0] : std::string();
    }
    std::vector<std::string> revs;
    if (base.empty()) {
      // A new branch (or an old tip that cannot be compared): commits no other tip reaches.
      auto tips = git_lines(gitdir, {"rev-parse", "--branches"}, cancel);
      std::string exclude;
      for (const auto& t : tips)
        if (t != u.new_id && t != tip) exclude += "^" + t + "\n";
      revs = git_lines(gitdir, {"rev-list", "--reverse", "--stdin", tip}, cancel, exclude);
    } else {
      if (base != old) {
        auto r = git_in(gitdir, {"diff", "--name-only", "-z", "--no-renames", old, base}, cancel);
        if (!r.ok()) throw GitFailure("diff " + r.describe(), r.err);
        BuildbotChange rw;
        rw.revision = base;
        rw.branch = name;
        rw.author = "dummy";
        rw.comments = "Rewind branch";
        rw.files = split_lines(r.out, '\0');
        if (!rw.files.empty()) changes.push_back(std::move(rw));
      }
      if (tip != base) {
        std::vector<std::string> args{"rev-list", "--reverse"};
        if (h.first_parent) args.push_back("--first-parent");
        args.push_back(base + ".." + tip);
        revs = git_lines(gitdir, args, cancel);
      }
    }
    if (h.max_changes > 0 && revs.size() > h.max_changes) revs = {tip};
    for (const auto& rev : revs)
      changes.push_back(describe(gitdir, rev, name, h.commit_time, cancel));
  }
  return changes;
}

HookOutcome send_to_buildbot(const HookConfig& h, const std::string& project,
                             const fs::path& gitdir, const std::vector<RefUpdate>& updates,
                             const std::atomic<bool>* cancel) {
  HookOutcome o;
  std::vector<BuildbotChange> changes;
  try {
    changes = buildbot_changes(gitdir, updates, h, cancel);
  } catch (const GitFailure& e) {
    // Fewer changes than the push means would be a silent loss: fail, and retry later.
    o.summary = fmt::format("reading the changes: git {}: {}", e.what(), e.detail);
    return o;
  }
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
    spec.argv.insert(spec.argv.end(),
                     {"--vc", "git", "--who", c.author.empty() ? "unknown" : c.author, "--branch",
                      c.branch, "--revision", c.revision, "--comments", c.comments});
    if (c.when > 0) spec.argv.insert(spec.argv.end(), {"--when", std::to_string(c.when)});
    if (!h.category.empty()) spec.argv.insert(spec.argv.end(), {"--category", h.category});
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
