// Whole-file reads with a size cap, and atomic writes: a failed command leaves nothing behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace integral {

// open(O_RDONLY) for an input file; a missing path is Error(kBadInput), other failures
// Error(kEnvironment), both naming the path.
int open_input(const std::filesystem::path& path);

// Reads a whole file; refuses files larger than max_bytes (inputs of this kind are small, and
// the cap keeps a hostile or mistaken path from exhausting memory).
std::string read_text_file(const std::filesystem::path& path, uint64_t max_bytes = 64u << 20);

// Writes `contents` to `path` through a temporary file in the same directory, fsync and
// rename, so readers see either the old file or the complete new one (one AtomicFile).
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

}  // namespace integral
