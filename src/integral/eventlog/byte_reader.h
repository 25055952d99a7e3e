// Bounded little-endian reads over untrusted bytes: every read checks the remaining length
// first and fails with an Error naming the file and the absolute byte offset.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace integral {

class ByteReader {
 public:
  // `base` is the absolute offset of data[0] in `file` (for error messages).
  ByteReader(std::span<const uint8_t> data, std::string file, uint64_t base = 0)
      : data_(data), file_(std::move(file)), base_(base) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }
  uint64_t offset() const { return base_ + pos_; }  // absolute offset of the next byte
  const std::string& file() const { return file_; }

  uint8_t u8(std::string_view what);
  uint16_t u16(std::string_view what);
  uint32_t u32(std::string_view what);
  uint64_t u64(std::string_view what);
  // The next n bytes (a view into the input); fails when fewer remain.
  std::span<const uint8_t> bytes(uint64_t n, std::string_view what);
  void skip(uint64_t n, std::string_view what) { bytes(n, what); }

  // Throws Error(kBadInput) at the current offset (or `at`).
  [[noreturn]] void fail(std::string_view message) const;
  [[noreturn]] void fail_at(uint64_t at, std::string_view message) const;

 private:
  void need(uint64_t n, std::string_view what) const;
  std::span<const uint8_t> data_;
  std::string file_;
  uint64_t base_;
  size_t pos_ = 0;
};

}  // namespace integral
