// A directory of one's own that is removed with everything in it unless released: the
// staging area of a multi-file output (integral build), and scratch space in tests.
#pragma once

#include <filesystem>
#include <string>

namespace integral {

class TempDir {
 public:
  // Creates `parent`/`prefix`XXXXXX (mkdtemp), mode 0700. Errors: Error(kEnvironment).
  TempDir(const std::filesystem::path& parent, const std::string& prefix);
  // In the system's temporary directory ($TMPDIR, else /tmp).
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory: it is the caller's from now on.
  void release() { path_.clear(); }

 private:
  std::filesystem::path path_;
};

}  // namespace integral
