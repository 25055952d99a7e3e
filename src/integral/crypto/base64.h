// RFC 4648 base64 (through OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock), as signatures and
// go-attestation dumps carry bytes in JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace integral {

// With padding, no line breaks.
std::string base64_encode(std::span<const uint8_t> data);
// Padding required, no whitespace; nullopt when malformed.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace integral
