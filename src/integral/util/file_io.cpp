#include "integral/util/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "integral/util/error.h"

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
  int fd = open_input(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw_bad_input("not a regular file", path.string());
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw_bad_input("file is larger than " + std::to_string(max_bytes) + " bytes", path.string());
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // file shrank while reading: keep what was read
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0)
    throw_environment(std::string("cannot create temporary file: ") + std::strerror(errno),
                      path.string());
  size_t done = 0;
  bool ok = true;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  // mkstemp creates 0600; output files are ordinary files, so give them the umask's mode.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ok = ok && ::fchmod(fd, 0666 & ~mask) == 0 && ::fsync(fd) == 0;
  int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmpl.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    ::unlink(tmpl.c_str());
    throw_environment(std::string("cannot write: ") + std::strerror(saved), path.string());
  }
}

}  // namespace integral
