// gzip decompression with an output cap (zlib), for compressed boot artifacts such as tboot.gz.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "integral/util/hex.h"

namespace integral {

bool is_gzip(std::span<const uint8_t> data);

// Inflates every gzip member in `data` (as gzread does with concatenated members); throws
// Error(kBadInput) naming `file` and the compressed offset on corrupt or truncated input, or
// when the output would exceed `max_output` bytes (a decompression bomb is refused, never
// allocated).
Bytes gunzip(std::span<const uint8_t> data, const std::string& file,
             uint64_t max_output = 256u << 20);

}  // namespace integral
