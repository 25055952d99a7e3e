#include "integral/image/vhd.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/util/error.h"
#include "integral/util/fd.h"

namespace integral::image {

namespace {

constexpr uint32_t kVhdBlock = 2u << 20;

void be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void be64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
uint32_t checksum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n; ++i) s += p[i];
  return ~s;
}

// The specification's CHS algorithm (appendix "CHS Calculation").
uint32_t geometry(uint64_t size) {
  uint64_t total = size / 512;
  if (total > 65535ull * 16 * 255) total = 65535ull * 16 * 255;
  uint64_t spt, heads, cth;
  if (total >= 65535ull * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = total / spt;
  } else {
    spt = 17;
    cth = total / spt;
    heads = (cth + 1023) / 1024;
    if (heads < 4) heads = 4;
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = total / spt;
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = total / spt;
    }
  }
  uint64_t cyl = cth / heads;
  return static_cast<uint32_t>((cyl << 16) | (heads << 8) | spt);
}

bool all_zero(const uint8_t* p, size_t n) {
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

// Unique id: a hash of the raw image's first 64 KiB, its size and the kind.
Digest unique_id(int in, const std::string& raw, uint64_t size, VhdKind kind) {
  std::string head(static_cast<size_t>(std::min<uint64_t>(size, 65536)), '\0');
  pread_all(in, head.data(), head.size(), 0, raw);
  Hasher h(HashAlg::kSha256);
  h.update(std::string_view("integral-vhd"));
  h.update(head);
  h.update(fmt::format("{}:{}", size, kind == VhdKind::kFixed ? "fixed" : "dynamic"));
  return h.finish();
}

// The hard disk footer, checksummed.
void fill_footer(uint8_t (&footer)[512], uint64_t size, VhdKind kind, int64_t timestamp,
                 const Digest& id) {
  std::memcpy(footer, "conectix", 8);
  be32(footer + 8, 2);
  be32(footer + 12, 0x00010000);
  be64(footer + 16, kind == VhdKind::kFixed ? ~0ull : 512);
  int64_t t = timestamp - 946684800;  // seconds since 2000-01-01
  be32(footer + 24, static_cast<uint32_t>(t < 0 ? 0 : t));
  std::memcpy(footer + 28, "tap\0", 4);
  be32(footer + 32, 0x00010000);
  be64(footer + 40, size);
  be64(footer + 48, size);
  be32(footer + 56, geometry(size));
  be32(footer + 60, kind == VhdKind::kFixed ? 2 : 3);
  std::memcpy(footer + 68, id.bytes().data(), 16);
  footer[68 + 6] = static_cast<uint8_t>((footer[68 + 6] & 0x0f) | 0x80);
  footer[68 + 8] = static_cast<uint8_t>((footer[68 + 8] & 0x3f) | 0x80);
  be32(footer + 64, checksum(footer, 512));
}

// The raw image, one VHD block at a time, zero-padded to the block size.
struct BlockReader {
  int in;
  const std::string& raw;
  uint64_t size;
  std::vector<uint8_t> buf = std::vector<uint8_t>(kVhdBlock);
  uint64_t blocks() const { return (size + kVhdBlock - 1) / kVhdBlock; }
  // Reads block `b` into buf; returns how many bytes of it the image has.
  size_t read(uint64_t b) {
    std::fill(buf.begin(), buf.end(), 0);
    uint64_t off = b * kVhdBlock;
    size_t n = static_cast<size_t>(std::min<uint64_t>(kVhdBlock, size - off));
    pread_all(in, buf.data(), n, off, raw);
    return n;
  }
};

// A dynamic disk's footer copy, header, BAT and the blocks that are not all zero.
void write_dynamic_body(BlockReader& blocks, const uint8_t (&footer)[512], int fd,
                        const std::string& what) {
  const uint64_t nblocks = blocks.blocks();
  if (nblocks > 0xffffffffull) throw_usage("image too large for a dynamic VHD");
  write_all(fd, footer, 512, what);
  uint8_t hdr[1024] = {};
  std::memcpy(hdr, "cxsparse", 8);
  be64(hdr + 8, ~0ull);
  be64(hdr + 16, 1536);
  be32(hdr + 24, 0x00010000);
  be32(hdr + 28, static_cast<uint32_t>(nblocks));
  be32(hdr + 32, kVhdBlock);
  be32(hdr + 36, checksum(hdr, 1024));
  write_all(fd, hdr, 1024, what);
  const uint64_t bat_bytes = (nblocks * 4 + 511) / 512 * 512;
  std::vector<uint8_t> bat(bat_bytes, 0xff);
  uint64_t next_sector = (1536 + bat_bytes) / 512;
  // First pass decides the BAT; the blocks follow it in order.
  std::vector<bool> used(nblocks);
  for (uint64_t b = 0; b < nblocks; ++b) {
    blocks.read(b);
    used[b] = !all_zero(blocks.buf.data(), blocks.buf.size());
    if (used[b]) {
      be32(&bat[b * 4], static_cast<uint32_t>(next_sector));
      next_sector += 1 + kVhdBlock / 512;
    }
  }
  write_all(fd, bat.data(), bat.size(), what);
  std::vector<uint8_t> bitmap(512, 0xff);
  for (uint64_t b = 0; b < nblocks; ++b) {
    if (!used[b]) continue;
    blocks.read(b);
    write_all(fd, bitmap.data(), bitmap.size(), what);
    write_all(fd, blocks.buf.data(), blocks.buf.size(), what);
  }
}

}  // namespace

void write_vhd(const std::string& raw, AtomicFile& out, VhdKind kind, int64_t timestamp) {
  const Fd input(::open(raw.c_str(), O_RDONLY | O_CLOEXEC));
  if (!input) throw_environment(fmt::format("cannot open: {}", std::strerror(errno)), raw);
  const int in = input.get();
  struct stat st {};
  if (::fstat(in, &st) != 0)
    throw_environment(fmt::format("cannot stat: {}", std::strerror(errno)), raw);
  const auto size = static_cast<uint64_t>(st.st_size);
  BlockReader blocks{in, raw, size};
  uint8_t footer[512] = {};
  fill_footer(footer, size, kind, timestamp, unique_id(in, raw, size, kind));

  const std::string what = out.path().string();
  const int fd = out.fd();
  if (kind == VhdKind::kFixed) {
    for (uint64_t b = 0; b < blocks.blocks(); ++b)
      write_all(fd, blocks.buf.data(), blocks.read(b), what);
  } else {
    write_dynamic_body(blocks, footer, fd, what);
  }
  write_all(fd, footer, 512, what);
}

}  // namespace integral::image
