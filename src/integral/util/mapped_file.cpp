#include "integral/util/mapped_file.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "integral/util/error.h"
#include "integral/util/fd.h"
#include "integral/util/file_io.h"

namespace integral {

std::optional<MappedFile> MappedFile::map(int fd, std::string path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return std::nullopt;
  const auto size = static_cast<size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return std::nullopt;
  MappedFile m;
  m.path_ = std::move(path);
  m.data_ = static_cast<const uint8_t*>(p);
  m.size_ = size;
  m.mapped_ = true;
  return m;
}

MappedFile::MappedFile(const std::filesystem::path& path, NonRegular other) : path_(path.string()) {
  Fd fd(open_input(path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_environment(std::strerror(errno), path_);
  if (!S_ISREG(st.st_mode) && other == NonRegular::kRefuse)
    throw_bad_input("not a regular file", path_);
  if (auto m = map(fd.get(), path_)) {
    *this = std::move(*m);
    return;
  }
  // Not mappable (empty, a pipe, a securityfs file reporting size 0): read it in chunks.
  uint8_t chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_environment(std::strerror(errno), path_);
    if (n == 0) break;
    copy_.insert(copy_.end(), chunk, chunk + n);
  }
  data_ = copy_.data();
  size_ = copy_.size();
}

void MappedFile::release() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
  mapped_ = false;
  data_ = nullptr;
  size_ = 0;
  copy_.clear();
}

MappedFile::~MappedFile() {
  release();
}

MappedFile::MappedFile(MappedFile&& other) noexcept {
  *this = std::move(other);
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this == &other) return *this;
  release();
  path_ = std::move(other.path_);
  mapped_ = other.mapped_;
  size_ = other.size_;
  copy_ = std::move(other.copy_);  // a moved vector keeps its buffer, so data_ stays valid
  data_ = mapped_ ? other.data_ : copy_.data();
  other.mapped_ = false;
  other.data_ = nullptr;
  other.size_ = 0;
  return *this;
}

void MappedFile::advise_sequential() const {
  if (mapped_) ::madvise(const_cast<uint8_t*>(data_), size_, MADV_SEQUENTIAL | MADV_WILLNEED);
}

}  // namespace integral
