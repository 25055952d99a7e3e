// Bounded little-endian reads from an untrusted buffer: every read is checked against the
// buffer's end and a failure names the file and the byte offset (TXT structures are all LE).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "integral/util/error.h"

namespace integral::formats {

class ByteReader {
 public:
  ByteReader(std::span<const uint8_t> data, std::string file, uint64_t base_offset = 0)
      : data_(data), file_(std::move(file)), base_(base_offset) {}

  size_t size() const { return data_.size(); }
  const std::string& file() const { return file_; }
  std::span<const uint8_t> data() const { return data_; }

  // Throws Error(kBadInput) naming what was being read, unless [offset, offset+len) fits.
  void need(uint64_t offset, uint64_t len, std::string_view what) const;
  std::span<const uint8_t> bytes(uint64_t offset, uint64_t len, std::string_view what) const {
    need(offset, len, what);
    return data_.subspan(static_cast<size_t>(offset), static_cast<size_t>(len));
  }
  uint8_t u8(uint64_t offset, std::string_view what) const { return bytes(offset, 1, what)[0]; }
  uint16_t u16(uint64_t offset, std::string_view what) const;
  uint32_t u32(uint64_t offset, std::string_view what) const;
  uint64_t u64(uint64_t offset, std::string_view what) const;

  // An error at `offset` of this buffer (reported as an offset in the file).
  [[noreturn]] void fail(uint64_t offset, const std::string& message) const;

 private:
  std::span<const uint8_t> data_;
  std::string file_;
  uint64_t base_;
};

// Little-endian appends, for building the byte strings TXT measures.
void append_le32(std::string& out, uint32_t v);
void append_le64(std::string& out, uint64_t v);

}  // namespace integral::formats
