// The one bounded reader of untrusted little-endian bytes. Every read checks the length it
// needs against what the buffer holds before touching memory, and a failure is an
// Error(kBadInput) naming the file and the absolute offset in it.
//
// Two ways to read one buffer: a cursor (`u32("field")`: the next field, in order, as logs are
// read) and random access (`u32(offset, "field")`: a field at an offset relative to the buffer's
// start, as headers and tables of binary images are read). Both report offsets as
// `base + offset`, `base` being where the buffer starts in the file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace integral {

class ByteReader {
 public:
  ByteReader(std::span<const uint8_t> data, std::string file, uint64_t base = 0)
      : data_(data), file_(std::move(file)), base_(base) {}

  // Messages start with "<context>: " (e.g. "PE image"), when given.
  void set_context(std::string context) { context_ = std::move(context); }

  std::span<const uint8_t> data() const { return data_; }
  size_t size() const { return data_.size(); }
  const std::string& file() const { return file_; }

  // Random access: [offset, offset + len) must lie inside the buffer.
  void need(uint64_t offset, uint64_t len, std::string_view what) const;
  std::span<const uint8_t> bytes(uint64_t offset, uint64_t len, std::string_view what) const {
    need(offset, len, what);
    return data_.subspan(static_cast<size_t>(offset), static_cast<size_t>(len));
  }
  uint8_t u8(uint64_t offset, std::string_view what) const { return bytes(offset, 1, what)[0]; }
  uint16_t u16(uint64_t offset, std::string_view what) const;
  uint32_t u32(uint64_t offset, std::string_view what) const;
  uint64_t u64(uint64_t offset, std::string_view what) const;
  // An error at `offset` of this buffer (reported as base + offset).
  [[noreturn]] void fail(uint64_t offset, std::string_view message) const;

  // Cursor.
  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }
  uint64_t offset() const { return base_ + pos_; }  // absolute offset of the next byte
  uint8_t u8(std::string_view what) { return advance(1, what)[0]; }
  uint16_t u16(std::string_view what);
  uint32_t u32(std::string_view what);
  uint64_t u64(std::string_view what);
  // The next n bytes (a view into the input); fails when fewer remain.
  std::span<const uint8_t> bytes(uint64_t n, std::string_view what) { return advance(n, what); }
  void skip(uint64_t n, std::string_view what) { advance(n, what); }
  // Throws at the cursor, or at absolute offset `at`.
  [[noreturn]] void fail(std::string_view message) const;
  [[noreturn]] void fail_at(uint64_t at, std::string_view message) const;

 private:
  std::span<const uint8_t> advance(uint64_t n, std::string_view what);
  std::span<const uint8_t> data_;
  std::string file_;
  uint64_t base_;
  std::string context_;
  size_t pos_ = 0;
};

}  // namespace integral
