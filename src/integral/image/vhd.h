// VHD containers (Microsoft's Virtual Hard Disk format, as qemu's "vpc" driver reads it):
// fixed (the raw bytes, then a footer) and dynamic (footer copy, dynamic header, BAT, 2 MiB
// blocks each with an all-ones sector bitmap; all-zero blocks left unallocated). Reproducible:
// the timestamp is given and the unique id derived from the image. Creator "tap" (blktap)
// version 1.0, so readers take the disk size from the footer, not from the CHS geometry.
#pragma once

#include <cstdint>
#include <string>

#include "integral/util/atomic_file.h"

namespace integral::image {

enum class VhdKind { kFixed, kDynamic };

// Converts the raw image `raw` into `out`'s temporary file; the caller commits it.
// `timestamp` is Unix time.
void write_vhd(const std::string& raw, AtomicFile& out, VhdKind kind, int64_t timestamp);

}  // namespace integral::image
