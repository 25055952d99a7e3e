// Unit-test helper: scratch directories and git repositories built with the git CLI itself.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "integral/poll/process.h"

namespace integral::poll::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "integral-poll-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

 private:
  std::filesystem::path path_;
};

// Runs git with a fixed identity; returns stdout without the trailing newline. Fails the test
// on a non-zero exit.
inline std::string git(const std::filesystem::path& cwd, std::vector<std::string> args,
                       const std::string& input = {}) {
  ProcessSpec s;
  s.argv = {"git",
            "-c",
            "user.name=Test Author",
            "-c",
            "user.email=author@example.org",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.version=0"};
  for (auto& a : args) s.argv.push_back(a);
  s.cwd = cwd.string();
  s.stdin_data = input;
  s.env["GIT_DIR"] = std::nullopt;
  s.env["GIT_CONFIG_NOSYSTEM"] = "1";
  s.env["HOME"] = cwd.string();
  auto r = run_process(s);
  EXPECT_TRUE(r.ok()) << "git failed: " << r.err;
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

// A bare "upstream" plus a work clone that pushes to it.
struct Upstream {
  explicit Upstream(const ScratchDir& d) : bare(d / "upstream.git"), work(d / "work") {
    git(d.path(), {"init", "-q", "--bare", bare.string()});
    git(d.path(), {"init", "-q", work.string()});
    git(work, {"remote", "add", "origin", bare.string()});
  }
  // Commits a file change on the current branch and returns the commit id.
  std::string commit(const std::string& file, const std::string& content, const std::string& msg) {
    std::filesystem::create_directories((work / file).parent_path());
    std::ofstream((work / file).c_str()) << content;
    git(work, {"add", "--", file});
    git(work, {"commit", "-q", "-m", msg});
    return git(work, {"rev-parse", "HEAD"});
  }
  void push(std::vector<std::string> refspecs) {
    std::vector<std::string> a{"push", "-q", "origin"};
    for (auto& r : refspecs) a.push_back(r);
    git(work, a);
  }
  std::filesystem::path bare, work;
};

}  // namespace integral::poll::testing
