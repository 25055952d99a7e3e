// Unit-test helpers for binary formats: a little-endian byte builder and stores by offset for
// structures written by hand, and the text of a shared TXT vector by its file-name prefix.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>

#include "integral/util/file_io.h"
#include "integral/util/hex.h"

namespace integral::testing {

// Written apart from util/bytes.h on purpose: test inputs are not built by the code under test.
struct LeBytes {
  Bytes b;
  LeBytes& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  LeBytes& u16(uint16_t v) {
    return u8(static_cast<uint8_t>(v & 0xff)).u8(static_cast<uint8_t>(v >> 8));
  }
  LeBytes& u32(uint32_t v) { return u16(v & 0xffff).u16(static_cast<uint16_t>(v >> 16)); }
  LeBytes& u64(uint64_t v) { return u32(v & 0xffffffff).u32(static_cast<uint32_t>(v >> 32)); }
  LeBytes& fill(size_t n, uint8_t v) {
    b.insert(b.end(), n, v);
    return *this;
  }
  LeBytes& add(std::span<const uint8_t> x) {
    b.insert(b.end(), x.begin(), x.end());
    return *this;
  }
  LeBytes& add(std::initializer_list<uint8_t> x) { return add(std::span(x.begin(), x.size())); }
  LeBytes& str(const char* s, size_t n) { return add({reinterpret_cast<const uint8_t*>(s), n}); }
};

// Little-endian stores into a buffer laid out by offset (a header built field by field).
inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
inline void put32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// tests/data/txt/<prefix>*: the real TXT launches (tests/data/README.md).
inline std::string txt_vector_text(const std::string& prefix) {
  const auto dir = std::filesystem::path(INTEGRAL_TEST_DATA) / "txt";
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().starts_with(prefix)) return read_text_file(e.path());
  ADD_FAILURE() << "vector " << prefix << " missing";
  return {};
}

}  // namespace integral::testing
