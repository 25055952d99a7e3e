// Unsigned integers as people and tools write them: decimal, or hex with a 0x prefix.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace integral {

// The whole string must be the number; nullopt on anything else or on overflow.
std::optional<uint64_t> parse_uint(std::string_view text);

}  // namespace integral
