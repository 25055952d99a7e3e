#include "integral/eventlog/mapped_file.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

MappedFile::MappedFile(const std::filesystem::path& path) {
  int fd = open_input(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw_environment(std::strerror(err), path.string());
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<const uint8_t*>(p);
      size_ = static_cast<size_t>(st.st_size);
      mapped_ = true;
      ::close(fd);
      return;
    }
  }
  // Not mappable (pipe, securityfs file reporting size 0): read it in chunks.
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      throw_environment(std::strerror(err), path.string());
    }
    if (n == 0) break;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  data_ = reinterpret_cast<const uint8_t*>(buffer_.data());
  size_ = buffer_.size();
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace integral
