// A read-only view of a whole input file. A regular file is mapped (logs and images can be
// hundreds of MB: the page cache holds them, not the heap); anything else (a pipe, a securityfs
// file reporting size 0) is read into memory, or refused where a parser needs a real file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace integral {

class MappedFile {
 public:
  enum class NonRegular { kRead, kRefuse };

  // Throws Error naming the path: kBadInput when missing (or not a regular file, with kRefuse),
  // kEnvironment on I/O failure.
  explicit MappedFile(const std::filesystem::path& path, NonRegular other = NonRegular::kRead);
  // The whole of `fd` mapped when it is a non-empty regular file that mmap accepts; nullopt
  // otherwise (the caller streams it). `fd` stays the caller's.
  static std::optional<MappedFile> map(int fd, std::string path);

  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  // The kernel reads ahead for a front-to-back pass (madvise; no effect on a copy).
  void advise_sequential() const;

 private:
  MappedFile() = default;
  void release();
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> copy_;
};

}  // namespace integral
