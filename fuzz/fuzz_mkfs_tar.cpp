// Tar archives given to `integral mkfs --tar` (untrusted): load into a Tree.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "integral/image/tree.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char path[] = "/tmp/fuzz-mkfs-tar.XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) std::abort();
  if (::write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  ::close(fd);
  try {
    integral::image::load_tar(path);
  } catch (const integral::Error&) {
  }
  ::unlink(path);
  return 0;
}
