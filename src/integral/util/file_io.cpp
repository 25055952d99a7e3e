#include "integral/util/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "integral/util/atomic_file.h"
#include "integral/util/error.h"
#include "integral/util/fd.h"

namespace integral {

int open_input(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  // A path that names nothing is the caller's mistake (bad input); anything else is the
  // machine's (permissions, I/O).
  if (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG || errno == ELOOP)
    throw_bad_input(std::strerror(errno), path.string());
  throw_environment(std::strerror(errno), path.string());
}

std::string read_text_file(const std::filesystem::path& path, uint64_t max_bytes) {
  const Fd fd(open_input(path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    throw_bad_input("not a regular file", path.string());
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    throw_bad_input("file is larger than " + std::to_string(max_bytes) + " bytes", path.string());
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // file shrank while reading: keep what was read
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  AtomicFile out(path);
  out.write(contents);
  out.commit();
}

}  // namespace integral
