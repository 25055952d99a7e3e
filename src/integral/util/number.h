// Unsigned integers as people and tools write them: decimal, or hex with a 0x prefix.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace integral {

// The whole string must be the number; nullopt on anything else or on overflow.
std::optional<uint64_t> parse_uint(std::string_view text);

// A size in bytes as mkfs tools take it: decimal digits with an optional K, M or G suffix
// (powers of 1024; k is K). nullopt on anything else or on overflow.
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace integral
