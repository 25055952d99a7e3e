#include "integral/util/fd.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "integral/util/error.h"

namespace integral {

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

int Fd::close() {
  if (fd_ < 0) return 0;
  const int rc = ::close(fd_);
  fd_ = -1;
  return rc == 0 ? 0 : errno;
}

namespace {

// One loop for the three calls: `io` transfers at most n bytes at offset `at` and returns what
// the system call returned.
template <typename Io>
void transfer_all(Io io, size_t len, uint64_t offset, std::string_view verb,
                  std::string_view what) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = io(done, len - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw_environment(fmt::format("cannot {}: {}", verb, std::strerror(errno)),
                        std::string(what));
    if (n == 0)
      throw_environment(
          fmt::format("cannot {}: {}", verb, verb == "read" ? "short file" : "no progress"),
          std::string(what));
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void pread_all(int fd, void* buf, size_t len, uint64_t offset, std::string_view what) {
  auto* p = static_cast<char*>(buf);
  transfer_all([&](size_t done, size_t n,
                   uint64_t at) { return ::pread(fd, p + done, n, static_cast<off_t>(at)); },
               len, offset, "read", what);
}

void pwrite_all(int fd, const void* buf, size_t len, uint64_t offset, std::string_view what) {
  const auto* p = static_cast<const char*>(buf);
  transfer_all([&](size_t done, size_t n,
                   uint64_t at) { return ::pwrite(fd, p + done, n, static_cast<off_t>(at)); },
               len, offset, "write", what);
}

void write_all(int fd, const void* buf, size_t len, std::string_view what) {
  const auto* p = static_cast<const char*>(buf);
  transfer_all([&](size_t done, size_t n, uint64_t) { return ::write(fd, p + done, n); }, len, 0,
               "write", what);
}

}  // namespace integral
