// The file tree an image is built from: every entry with the metadata the image will carry
// (type, mode, owner, device numbers, link target, xattrs) and where its bytes come from.
// Built from a directory or a tar archive, then overlaid by a manifest (manifest.h). Paths are
// relative to the image root, '/'-separated, without leading or trailing slashes ("" = root).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "integral/util/fd.h"

namespace integral::image {

enum class EntryType : uint8_t {
  kRegular,
  kDirectory,
  kSymlink,
  kCharDev,
  kBlockDev,
  kFifo,
  kSocket
};

// One-letter name used by manifests and messages: f d l c b p s.
char entry_type_letter(EntryType t);

// Where a regular file's bytes are: a host file (directory input) or a range of the spill
// file that holds a tar's contents.
struct Content {
  std::string host_path;  // empty when the bytes are in the spill file
  uint64_t spill_offset = 0;
  uint64_t size = 0;
};

struct Entry {
  std::string path;
  EntryType type = EntryType::kRegular;
  uint32_t mode = 0;  // permission bits including setuid/setgid/sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string target;                         // symlink target
  std::map<std::string, std::string> xattrs;  // full names ("user.x"), sorted by name
  Content content;                            // regular files
  std::string link_to;  // a hard link: the path of the entry whose inode this name shares
  std::vector<std::string> children;  // directories: child names, sorted bytewise
  bool implicit = false;              // a directory a tar implied but did not list (yet)
};

// Refusal limits for hostile input (ext4's own limits where it has one).
inline constexpr size_t kMaxNameLen = 255;
inline constexpr size_t kMaxPathLen = 4096;
inline constexpr size_t kMaxSymlinkLen = 4095;
inline constexpr size_t kMaxXattrValue = 3800;  // fits one 4 KiB EA block with its header

class Tree {
 public:
  Tree();

  // Normalizes a path from an archive or manifest: strips "./" and a single leading "/" only
  // when `allow_absolute`, collapses "//", refuses "..", empty names, over-long names.
  // `what` names the input for the error message.
  static std::string normalize(const std::string& raw, bool allow_absolute, const std::string& what,
                               uint64_t offset);

  // Adds an entry; its parent must exist and be a directory (not a symlink: writes through a
  // symlink would land outside the tree), and its name must be new. Errors name `source`.
  Entry& add(Entry e, const std::string& source, uint64_t offset = 0);
  // Adds missing parent directories of `path` (tar archives may omit them), mode 0755 root.
  void add_parents(const std::string& path, const std::string& source, uint64_t offset);

  Entry* find(const std::string& path);
  const Entry* find(const std::string& path) const;
  const Entry& root() const { return *find(""); }
  // Every entry, sorted by path (byte order).
  const std::map<std::string, Entry>& entries() const { return entries_; }
  std::map<std::string, Entry>& entries() { return entries_; }

  // The file holding a tar's contents (-1 for directory input).
  int spill_fd() const { return spill_.get(); }
  void set_spill_fd(Fd fd);

 private:
  std::map<std::string, Entry> entries_;
  Fd spill_;
};

// The lost+found directory an ext image has when the tree brings none (e2fsck expects one):
// root's, mode 0700. mkfs adds it before labelling, so that it is labelled like the rest.
Entry default_lost_found();

// Reads a directory tree: types, permission bits, symlink targets, device numbers, hard links
// (by host inode), file sizes. Owners are root and xattrs are not copied: ownership and labels
// come from the manifest or file_contexts, never from the build host (whose uids, SELinux
// labels and filesystem support differ from machine to machine).
Tree load_directory(const std::filesystem::path& dir);

// Reads a tar archive (any compression libarchive knows) with pax SCHILY.xattr.* records,
// numeric owners, hard links; contents go to an unlinked spill file. Refuses absolute paths,
// "..", entries below a non-directory (symlink escapes), duplicates, over-long names/targets.
Tree load_tar(const std::filesystem::path& tar);

}  // namespace integral::image
