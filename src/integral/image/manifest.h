// The metadata manifest: ownership, modes, device nodes, symlinks and xattrs the image must
// carry, which a build without root cannot put into the source tree.
//
// One entry per line, '#' starts a comment, fields separated by blanks:
//
//   PATH  TYPE  MODE  UID  GID  [major=N] [minor=N] [target=T] [xattr.NAME=VALUE]...
//
// PATH is absolute in the image ("/dev/null"); spaces and other bytes are written as \ooo
// (octal, as in fstab) or \\. TYPE is f d l c b p s to create or assert the type, or '-' to
// keep the entry's type (it must then exist). MODE (octal), UID and GID may be '-' to keep.
// A PATH with * ? or [ is a glob (fnmatch without FNM_PATHNAME, so "/usr/*" covers the whole
// subtree) that applies to existing entries only and needs TYPE '-'. VALUE is text, 0x-hex or
// 0s-base64 (getfattr's encodings); an empty VALUE removes the xattr.
// Lines apply in order; a later line overrides an earlier one.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "integral/image/tree.h"

namespace integral::image {

struct ManifestLine {
  size_t line = 0;
  uint64_t offset = 0;  // byte offset of the line in the manifest
  std::string path;     // normalized (relative), or the glob pattern (relative) when is_glob
  bool is_glob = false;
  char type = '-';
  std::optional<uint32_t> mode, uid, gid, major, minor;
  std::optional<std::string> target;
  std::vector<std::pair<std::string, std::string>> xattrs;  // empty value = remove
};

// Parses a manifest; `name` is used in error messages.
std::vector<ManifestLine> parse_manifest(const std::string& text, const std::string& name);

// Applies the lines to the tree. Refuses paths outside the tree, entries below a symlink or
// file, type conflicts, a glob that matches nothing, and device entries without numbers.
// `explicit_labels`, when given, collects the entries whose security.selinux the manifest set.
void apply_manifest(Tree& tree, const std::vector<ManifestLine>& lines, const std::string& name,
                    std::set<std::string>* explicit_labels = nullptr);

}  // namespace integral::image
