// Hex encoding of byte strings (lower case by default; TPM tools print upper case).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integral/util/bytes.h"

namespace integral {

std::string to_hex(std::span<const uint8_t> bytes, bool upper = false);
// Accepts upper or lower case, an optional "0x" prefix; nullopt on odd length, a non-hex digit
// or a prefix with no digits after it.
std::optional<Bytes> from_hex(std::string_view text);
// Appends the bytes `hex` spells (no prefix) to `out`, reusing its storage; false on odd length
// or a non-hex digit, leaving `out` with a partial result.
bool append_hex(Bytes& out, std::string_view hex);

// A UUID as text, with or without its dashes ("0f1e...-..."); nullopt unless 32 hex digits.
std::optional<std::array<uint8_t, 16>> parse_uuid(std::string_view text);

}  // namespace integral
