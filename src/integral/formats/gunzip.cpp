#include "integral/formats/gunzip.h"

#include <fmt/format.h>
#include <zlib.h>

#include <limits>

#include "integral/util/error.h"

namespace integral {

bool is_gzip(std::span<const uint8_t> data) {
  return data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

Bytes gunzip(std::span<const uint8_t> data, const std::string& file, uint64_t max_output) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip wrapper only.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw_environment("zlib inflateInit failed");
  struct Guard {
    z_stream* z;
    ~Guard() { inflateEnd(z); }
  } guard{&zs};

  Bytes out;
  uint8_t chunk[64 * 1024];
  size_t pos = 0;
  while (true) {
    const size_t avail = std::min<size_t>(data.size() - pos, std::numeric_limits<uInt>::max());
    zs.next_in = const_cast<Bytef*>(data.data() + pos);
    zs.avail_in = static_cast<uInt>(avail);
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t consumed = avail - zs.avail_in;
    const size_t produced = sizeof(chunk) - zs.avail_out;
    if (out.size() + produced > max_output) {
      throw_bad_input(fmt::format("gzip data expands beyond {} bytes", max_output), file, pos);
    }
    out.insert(out.end(), chunk, chunk + produced);
    pos += consumed;
    if (rc == Z_STREAM_END) {
      // Another member may follow (gzread continues through them); trailing zeros are padding.
      size_t rest = pos;
      while (rest < data.size() && data[rest] == 0) ++rest;
      if (rest == data.size()) break;
      if (!is_gzip(data.subspan(rest))) {
        throw_bad_input("trailing garbage after gzip member", file, rest);
      }
      pos = rest;
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_BUF_ERROR && consumed == 0 && produced == 0) {
      throw_bad_input("truncated gzip data", file, pos);
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw_bad_input(fmt::format("corrupt gzip data ({})", zs.msg ? zs.msg : "zlib error"), file,
                      pos);
    }
  }
  return out;
}

}  // namespace integral
