// File descriptors: an owner that closes on every path, and the whole-buffer read/write loops
// (EINTR and short transfers handled once) that every writer of images and outputs needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace integral {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership without closing.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the current descriptor (errors ignored: use close() where they matter) and owns `fd`.
  void reset(int fd = -1);
  // Closes and reports the result (0, or the errno of close), for writers that must know.
  int close();

 private:
  int fd_ = -1;
};

// Exactly `len` bytes at `offset` (pread/pwrite, so the file offset is untouched), or
// Error(kEnvironment) naming `what` (the file or what it holds); reading past the end is an
// error ("short file").
void pread_all(int fd, void* buf, size_t len, uint64_t offset, std::string_view what);
void pwrite_all(int fd, const void* buf, size_t len, uint64_t offset, std::string_view what);
// Exactly `len` bytes at the file offset (write), for pipes and appends.
void write_all(int fd, const void* buf, size_t len, std::string_view what);

}  // namespace integral
