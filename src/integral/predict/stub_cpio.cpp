#include "integral/predict/stub_cpio.h"

#include <fmt/format.h>

namespace integral {

namespace {

void pad4(Bytes& b) {
  while (b.size() % 4 != 0) b.push_back(0);
}

// A newc header and its NUL-terminated name, padded to 4 bytes.
void header(Bytes& b, uint32_t inode, uint32_t mode, uint32_t size, std::string_view name) {
  const uint32_t fields[13] = {
      inode, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, static_cast<uint32_t>(name.size() + 1), 0};
  std::string h = "070701";
  for (uint32_t v : fields) h += fmt::format("{:08x}", v);
  b.insert(b.end(), h.begin(), h.end());
  b.insert(b.end(), name.begin(), name.end());
  b.push_back(0);
  pad4(b);
}

}  // namespace

Bytes stub_literal_cpio(std::string_view dir, std::string_view name,
                        std::span<const uint8_t> contents) {
  Bytes b;
  header(b, 1, 0040555, 0, dir);
  header(b, 2, 0100444, static_cast<uint32_t>(contents.size()), fmt::format("{}/{}", dir, name));
  b.insert(b.end(), contents.begin(), contents.end());
  pad4(b);
  // systemd writes the trailer's name size in upper case ("0000000B")
  constexpr std::string_view kTrailer =
      "070701"
      "0000000000000000000000000000000000000001000000000000000000000000000000000000000000000000"
      "0000000B00000000TRAILER!!!";
  b.insert(b.end(), kTrailer.begin(), kTrailer.end());
  b.insert(b.end(), 4, 0);
  return b;
}

}  // namespace integral
