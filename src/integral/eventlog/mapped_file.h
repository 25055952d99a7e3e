// A read-only view of a whole input file: mapped when it is a regular file (event logs can be
// tens of MB; the page cache holds them, not the heap), read into memory otherwise (pipes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace integral {

class MappedFile {
 public:
  // Throws Error naming the path: kBadInput when missing, kEnvironment on I/O failure.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::string buffer_;
};

}  // namespace integral
