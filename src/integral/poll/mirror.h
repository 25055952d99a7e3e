// A local mirror of one remote repository, kept with the git CLI: a clone on first sight
// (into a temporary directory, renamed into place, so a crash leaves no half mirror), a cheap
// ls-remote gate, a pruning fetch of the configured refs only when the refs differ, and
// "keep" refs holding every delivered object so a forced push plus gc cannot drop an <old>
// id the hook has not seen yet.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "integral/poll/config.h"
#include "integral/poll/process.h"
#include "integral/poll/refs.h"

namespace integral::poll {

// A failed git operation; `what` says which, `detail` is git's stderr (trimmed).
struct GitFailure : std::runtime_error {
  GitFailure(const std::string& what, std::string detail_)
      : std::runtime_error(what), detail(std::move(detail_)) {}
  std::string detail;
};

class Mirror {
 public:
  Mirror(const RepoConfig& cfg, const std::atomic<bool>* cancel);

  // A directory that looks like a bare repository (HEAD, objects/, refs/).
  bool present() const;
  // The mirrored refs in the local repository (throws GitFailure).
  RefMap local_refs() const { return local_refs_in(cfg_.gitdir); }
  // The remote's refs matching the configured patterns (ls-remote).
  RefMap remote_refs() const;
  // Fetches the configured refs with pruning and forced updates.
  void fetch() const;
  // Clones into "<gitdir>.tmp-clone" and returns the refs there; install() renames it into
  // place (replacing a broken mirror, if any).
  RefMap clone_to_temp() const;
  void install_temp() const;
  std::filesystem::path temp_dir() const;
  // The ids among `ids` whose objects the mirror lacks (git cat-file --batch-check).
  std::vector<std::string> missing_objects(const std::vector<std::string>& ids) const;
  // Makes refs/integral/keep/<id> exist exactly for `ids` in `gitdir` (default: the mirror).
  void keep_objects(const std::vector<std::string>& ids,
                    const std::filesystem::path& gitdir = {}) const;

 private:
  RefMap local_refs_in(const std::filesystem::path& gitdir) const;
  ProcessResult git(const std::filesystem::path& gitdir, std::vector<std::string> args,
                    const std::string& stdin_data = {}) const;
  std::vector<std::string> refspecs() const;

  const RepoConfig& cfg_;
  const std::atomic<bool>* cancel_;
  std::string token_;
};

}  // namespace integral::poll
