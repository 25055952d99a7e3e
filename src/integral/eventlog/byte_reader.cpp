#include "integral/eventlog/byte_reader.h"

#include <fmt/format.h>

#include "integral/util/error.h"

namespace integral {

void ByteReader::fail(std::string_view message) const {
  fail_at(offset(), message);
}

void ByteReader::fail_at(uint64_t at, std::string_view message) const {
  throw_bad_input(std::string(message), file_, at);
}

void ByteReader::need(uint64_t n, std::string_view what) const {
  if (n > remaining())
    fail(fmt::format("truncated: {} needs {} bytes, {} left", what, n, remaining()));
}

uint8_t ByteReader::u8(std::string_view what) {
  need(1, what);
  return data_[pos_++];
}

uint16_t ByteReader::u16(std::string_view what) {
  need(2, what);
  uint16_t v = static_cast<uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
  pos_ += 2;
  return v;
}

uint32_t ByteReader::u32(std::string_view what) {
  need(4, what);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | data_[pos_ + static_cast<size_t>(i)];
  pos_ += 4;
  return v;
}

uint64_t ByteReader::u64(std::string_view what) {
  need(8, what);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | data_[pos_ + static_cast<size_t>(i)];
  pos_ += 8;
  return v;
}

std::span<const uint8_t> ByteReader::bytes(uint64_t n, std::string_view what) {
  need(n, what);
  auto out = data_.subspan(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return out;
}

}  // namespace integral
