#include "integral/util/byte_reader.h"

#include <fmt/format.h>

#include "integral/util/bytes.h"
#include "integral/util/error.h"

namespace integral {

void ByteReader::need(uint64_t offset, uint64_t len, std::string_view what) const {
  if (offset > data_.size() || len > data_.size() - offset)
    fail(offset, fmt::format("truncated: {} ({} bytes at offset {}) lies beyond the end of the "
                             "data ({} bytes)",
                             what, len, offset, data_.size()));
}

uint16_t ByteReader::u16(uint64_t offset, std::string_view what) const {
  return load_le16(bytes(offset, 2, what).data());
}

uint32_t ByteReader::u32(uint64_t offset, std::string_view what) const {
  return load_le32(bytes(offset, 4, what).data());
}

uint64_t ByteReader::u64(uint64_t offset, std::string_view what) const {
  return load_le64(bytes(offset, 8, what).data());
}

void ByteReader::fail(uint64_t offset, std::string_view message) const {
  fail_at(base_ + offset, message);
}

std::span<const uint8_t> ByteReader::advance(uint64_t n, std::string_view what) {
  if (n > remaining())
    fail(fmt::format("truncated: {} needs {} bytes, {} left", what, n, remaining()));
  auto out = data_.subspan(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return out;
}

uint16_t ByteReader::u16(std::string_view what) {
  return load_le16(advance(2, what).data());
}

uint32_t ByteReader::u32(std::string_view what) {
  return load_le32(advance(4, what).data());
}

uint64_t ByteReader::u64(std::string_view what) {
  return load_le64(advance(8, what).data());
}

void ByteReader::fail(std::string_view message) const {
  fail_at(offset(), message);
}

void ByteReader::fail_at(uint64_t at, std::string_view message) const {
  throw_bad_input(
      context_.empty() ? std::string(message) : fmt::format("{}: {}", context_, message), file_,
      at);
}

}  // namespace integral
