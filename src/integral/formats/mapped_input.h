// A read-only view of a whole input file (mmap), for parsers that index into binaries by
// offset. Empty files and non-mappable inputs are read into memory instead, up to a cap.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace integral {

class MappedInput {
 public:
  // Throws Error naming the path: kBadInput when missing or not a regular file, kEnvironment
  // on I/O failure.
  explicit MappedInput(const std::filesystem::path& path);
  ~MappedInput();
  MappedInput(const MappedInput&) = delete;
  MappedInput& operator=(const MappedInput&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> copy_;
};

}  // namespace integral
