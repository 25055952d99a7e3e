#include "integral/formats/byte_reader.h"

#include <fmt/format.h>

namespace integral::formats {

void ByteReader::need(uint64_t offset, uint64_t len, std::string_view what) const {
  if (offset > data_.size() || len > data_.size() - offset) {
    fail(offset, fmt::format("truncated: {} needs {} bytes, {} available", what, len,
                             offset > data_.size() ? 0 : data_.size() - offset));
  }
}

uint16_t ByteReader::u16(uint64_t offset, std::string_view what) const {
  auto b = bytes(offset, 2, what);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

uint32_t ByteReader::u32(uint64_t offset, std::string_view what) const {
  auto b = bytes(offset, 4, what);
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

uint64_t ByteReader::u64(uint64_t offset, std::string_view what) const {
  need(offset, 8, what);  // a field cut in its second half is reported at its start
  return static_cast<uint64_t>(u32(offset, what)) |
         (static_cast<uint64_t>(u32(offset + 4, what)) << 32);
}

void ByteReader::fail(uint64_t offset, const std::string& message) const {
  throw_bad_input(message, file_, base_ + offset);
}

void append_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void append_le64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace integral::formats
