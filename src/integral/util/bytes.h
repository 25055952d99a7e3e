// Byte strings and the little-endian integer encoding every format here uses (TCG logs, PE,
// TXT, UEFI variables, ext2/3/4): loads from raw bytes and appends to a growing buffer, written
// once so that no area keeps its own copy.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace integral {

using Bytes = std::vector<uint8_t>;

// Loads from `p`, which must point at enough bytes (callers check bounds; the bounded reader
// in byte_reader.h does it for untrusted input). Byte by byte: independent of host order and
// alignment.
inline uint16_t load_le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t load_le64(const uint8_t* p) {
  return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}

// Stores into `p`, which must point at enough bytes.
inline void store_le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Appends the low `width` bytes of `v`, least significant first, to a byte buffer (Bytes or
// std::string).
template <typename Buffer>
void append_le(Buffer& out, uint64_t v, int width) {
  using Char = typename Buffer::value_type;
  for (int i = 0; i < width; ++i) out.push_back(static_cast<Char>((v >> (8 * i)) & 0xff));
}
template <typename Buffer>
void append_le16(Buffer& out, uint16_t v) {
  append_le(out, v, 2);
}
template <typename Buffer>
void append_le32(Buffer& out, uint32_t v) {
  append_le(out, v, 4);
}
template <typename Buffer>
void append_le64(Buffer& out, uint64_t v) {
  append_le(out, v, 8);
}

}  // namespace integral
