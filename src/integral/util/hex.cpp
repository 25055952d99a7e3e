#include "integral/util/hex.h"

#include <algorithm>

namespace integral {

std::string to_hex(std::span<const uint8_t> bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0xF];
  }
  return out;
}

namespace {
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool append_hex(Bytes& out, std::string_view hex) {
  if (hex.size() % 2 != 0) return false;
  const size_t at = out.size();
  out.resize(at + hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[at + i / 2] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::optional<Bytes> from_hex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    // A bare prefix is a typo, not an empty value.
    if (text.empty()) return std::nullopt;
  }
  Bytes out;
  if (!append_hex(out, text)) return std::nullopt;
  return out;
}

std::optional<std::array<uint8_t, 16>> parse_uuid(std::string_view text) {
  std::string hex;
  for (char c : text)
    if (c != '-') hex += c;
  auto b = from_hex(hex);
  if (!b || b->size() != 16 || hex.starts_with("0x") || hex.starts_with("0X")) return std::nullopt;
  std::array<uint8_t, 16> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

}  // namespace integral
