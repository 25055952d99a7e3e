// Output files that appear complete or not at all, alone (AtomicFile) or as a set (OutputSet).
//
// An AtomicFile is a temporary file beside its destination (same directory, so the final
// rename cannot cross file systems). The caller writes it through fd() or write(); commit()
// makes it durable (fsync) before renaming it into place, then fsyncs the directory so the
// rename itself survives a crash. Without the fsync before the rename, a crash could leave
// the new name pointing at a file whose data never reached the disk (an empty or truncated
// image under its final name). Destroyed without commit(), it removes its temporary.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "integral/util/fd.h"

namespace integral {

class AtomicFile {
 public:
  // Creates the temporary ("." + name + ".XXXXXX" beside `dest`). Refuses a destination that
  // is an existing directory, before anything is written.
  explicit AtomicFile(std::filesystem::path dest);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::filesystem::path& path() const { return dest_; }
  const std::string& temp_path() const { return tmp_; }
  int fd() const { return fd_.get(); }  // -1 once finished
  bool committed() const { return committed_; }

  void write(std::string_view bytes);  // at the file's current position
  // Gives the file the umask's mode (mkstemp makes 0600), fsyncs and closes it: the content is
  // durable but not yet visible under path().
  void finish();
  // finish(), rename onto path(), fsync of the directory.
  void commit();

 private:
  friend class OutputSet;
  void rename_into_place();

  std::filesystem::path dest_;
  std::string tmp_;
  Fd fd_;
  bool finished_ = false;
  bool committed_ = false;
};

// Several outputs of one command, made visible together: commit() renames any of them only
// once every one is written and durable, so a failure while producing any output leaves none
// of the new files (and the previous files at those paths untouched).
class OutputSet {
 public:
  // Refuses a destination already in the set (two outputs would overwrite each other).
  AtomicFile& add(std::filesystem::path dest);
  // Finishes every file, checks that no destination has become a directory, then renames
  // each into place and fsyncs the directories. Should a rename still fail, the outputs
  // already renamed are removed again, so no partial set stays behind.
  void commit();

 private:
  std::vector<std::unique_ptr<AtomicFile>> files_;
};

}  // namespace integral
