#include "integral/formats/mapped_input.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

MappedInput::MappedInput(const std::filesystem::path& path) : path_(path.string()) {
  int fd = open_input(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw_bad_input("not a regular file", path_);
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) {
    ::close(fd);
    data_ = copy_.data();
    return;
  }
  void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (map == MAP_FAILED) throw_environment(std::string("mmap: ") + std::strerror(err), path_);
  data_ = static_cast<const uint8_t*>(map);
  mapped_ = true;
}

MappedInput::~MappedInput() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace integral
