// Reading a mirror's refs straight from git's "files" ref store (packed-refs plus loose files
// under refs/), without starting `git for-each-ref`: on a no-change poll that process start
// is half of the client-side cost. Anything unusual (a reftable store, a symbolic ref, a
// malformed line) answers nullopt, and the caller asks git instead.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "integral/poll/refs.h"

namespace integral::poll {

// The refs matching `patterns` (as in ref_matches) in the bare repository `gitdir`, loose
// files overriding packed-refs as git does; nullopt when only git itself can answer.
std::optional<RefMap> read_ref_files(const std::filesystem::path& gitdir,
                                     const std::vector<std::string>& patterns);

}  // namespace integral::poll
