// Files of a FAT12/16/32 image, read-only: what a boot loader reads from a small FAT volume
// (GRUB's memdisk). Hand-written because the one library for FAT images in Debian (mtools) is
// a set of commands, not a library, and only this much is needed: short (8.3) names, matched
// case-insensitively as FAT does; long names are not read. Every length and cluster is checked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace integral {

// The contents of the file at `path` ("/grub.cfg", "/fonts/unicode.pf2"), nullopt when the
// volume has no such file. Throws Error(kBadInput) naming `file` and the offset when the volume
// is malformed (boot sector, a cluster chain leaving the volume or looping).
std::optional<std::vector<uint8_t>> fat_read_file(std::span<const uint8_t> volume,
                                                  std::string_view path, const std::string& file);

}  // namespace integral
