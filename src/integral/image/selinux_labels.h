// SELinux labels from a file_contexts file, decided by libselinux's selabel interface exactly
// as setfiles/matchpathcon decide them (same regex matching, same "last match wins" order).
#pragma once

#include <set>
#include <string>

#include "integral/image/tree.h"

namespace integral::image {

// Sets security.selinux (the context and a trailing NUL, as setfiles writes it) on every
// entry whose image path ("/" + path, with the entry's type) has a context; entries named in
// `keep` (labelled explicitly by the manifest) are left alone. A hard link is labelled by its
// first name. Returns how many entries got a label.
size_t apply_file_contexts(Tree& tree, const std::string& file_contexts,
                           const std::set<std::string>& keep);

}  // namespace integral::image
