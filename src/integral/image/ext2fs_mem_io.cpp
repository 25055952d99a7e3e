#include "integral/image/ext2fs_mem_io.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>

namespace integral::image {

namespace {

thread_local MemImage* g_next = nullptr;

MemImage* image_of(io_channel ch) {
  return static_cast<MemImage*>(ch->private_data);
}

// count > 0: blocks of the channel's block size; count < 0: -count bytes (libext2fs's rule).
size_t byte_len(io_channel ch, int count) {
  return count < 0 ? static_cast<size_t>(-static_cast<int64_t>(count))
                   : static_cast<size_t>(count) * static_cast<size_t>(ch->block_size);
}

errcode_t mem_open(const char* name, int /*flags*/, io_channel* channel) {
  if (!g_next) return EXT2_ET_BAD_DEVICE_NAME;
  // Owned here until handed to libext2fs, which gives it back to mem_close.
  std::unique_ptr<struct_io_channel> ch(new (std::nothrow) struct_io_channel{});
  if (!ch) return EXT2_ET_NO_MEMORY;
  size_t n = std::strlen(name);
  std::unique_ptr<char[]> copy(new (std::nothrow) char[n + 1]);
  if (!copy) return EXT2_ET_NO_MEMORY;
  std::memcpy(copy.get(), name, n + 1);
  ch->name = copy.release();
  ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
  ch->manager = g_next->manager();
  ch->block_size = 1024;
  ch->refcount = 1;
  ch->private_data = g_next;
  g_next = nullptr;
  *channel = ch.release();
  return 0;
}

errcode_t mem_close(io_channel ch) {
  if (--ch->refcount > 0) return 0;
  std::unique_ptr<char[]> name(ch->name);
  std::unique_ptr<struct_io_channel> owned(ch);
  return 0;
}

errcode_t mem_set_blksize(io_channel ch, int blksize) {
  ch->block_size = blksize;
  return 0;
}

errcode_t mem_read64(io_channel ch, unsigned long long block, int count, void* data) {
  image_of(ch)->read(block * static_cast<uint64_t>(ch->block_size), byte_len(ch, count), data);
  return 0;
}

errcode_t mem_write64(io_channel ch, unsigned long long block, int count, const void* data) {
  try {
    image_of(ch)->write(block * static_cast<uint64_t>(ch->block_size), byte_len(ch, count), data);
  } catch (const std::bad_alloc&) {
    return EXT2_ET_NO_MEMORY;
  }
  return 0;
}

errcode_t mem_read(io_channel ch, unsigned long block, int count, void* data) {
  return mem_read64(ch, block, count, data);
}

errcode_t mem_write(io_channel ch, unsigned long block, int count, const void* data) {
  return mem_write64(ch, block, count, data);
}

errcode_t mem_write_byte(io_channel ch, unsigned long offset, int size, const void* data) {
  try {
    image_of(ch)->write(offset, static_cast<size_t>(size), data);
  } catch (const std::bad_alloc&) {
    return EXT2_ET_NO_MEMORY;
  }
  return 0;
}

errcode_t mem_flush(io_channel) {
  return 0;
}

errcode_t mem_set_option(io_channel, const char*, const char*) {
  return EXT2_ET_INVALID_ARGUMENT;
}

errcode_t mem_zeroout(io_channel ch, unsigned long long block, unsigned long long count) {
  // Zeroing a range of a hole: forget what was written there (rarely used).
  std::vector<uint8_t> z(static_cast<size_t>(ch->block_size), 0);
  for (unsigned long long i = 0; i < count; ++i) {
    errcode_t e = mem_write64(ch, block + i, 1, z.data());
    if (e) return e;
  }
  return 0;
}

struct_io_manager g_manager = [] {
  struct_io_manager m{};
  m.magic = EXT2_ET_MAGIC_IO_MANAGER;
  m.name = "integral in-memory";
  m.open = mem_open;
  m.close = mem_close;
  m.set_blksize = mem_set_blksize;
  m.read_blk = mem_read;
  m.write_blk = mem_write;
  m.flush = mem_flush;
  m.write_byte = mem_write_byte;
  m.set_option = mem_set_option;
  m.read_blk64 = mem_read64;
  m.write_blk64 = mem_write64;
  m.zeroout = mem_zeroout;
  return m;
}();

}  // namespace

io_manager MemImage::manager() {
  return &g_manager;
}

void MemImage::attach_next_open() {
  g_next = this;
}

void MemImage::read(uint64_t offset, size_t len, void* out) const {
  auto* o = static_cast<uint8_t*>(out);
  while (len) {
    uint64_t page = offset / kPage;
    size_t in = static_cast<size_t>(offset % kPage);
    size_t n = std::min(len, kPage - in);
    if (auto it = pages_.find(page); it != pages_.end())
      std::memcpy(o, it->second.get() + in, n);
    else
      std::memset(o, 0, n);
    o += n;
    offset += n;
    len -= n;
  }
}

void MemImage::write(uint64_t offset, size_t len, const void* data) {
  auto* d = static_cast<const uint8_t*>(data);
  while (len) {
    uint64_t page = offset / kPage;
    size_t in = static_cast<size_t>(offset % kPage);
    size_t n = std::min(len, kPage - in);
    auto& p = pages_[page];
    if (!p) {
      p = std::make_unique_for_overwrite<uint8_t[]>(kPage);
      if (n != kPage) std::memset(p.get(), 0, kPage);
    }
    std::memcpy(p.get() + in, d, n);
    d += n;
    offset += n;
    len -= n;
  }
}

std::vector<std::pair<uint64_t, const uint8_t*>> MemImage::pages() const {
  std::vector<std::pair<uint64_t, const uint8_t*>> out;
  out.reserve(pages_.size());
  for (const auto& [k, v] : pages_) out.emplace_back(k, v.get());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace integral::image
