#include "integral/image/ext_data.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <new>

namespace integral::image {

namespace {

// Writes `iov` at `off`, 1024 vectors per call; consumes (modifies) the vectors. (util's
// pwrite_all takes one buffer; this is the writer's only vectored write.)
void pwritev_all(int fd, std::vector<iovec>& iov, uint64_t off, const std::string& path) {
  size_t i = 0;
  while (i < iov.size()) {
    int cnt = static_cast<int>(std::min<size_t>(iov.size() - i, 1024));
    ssize_t w = ::pwritev(fd, &iov[i], cnt, static_cast<off_t>(off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw_environment(fmt::format("cannot write: {}", std::strerror(errno)), path);
    off += static_cast<uint64_t>(w);
    // Advance past what was written (a short write leaves a partial iovec).
    auto left = static_cast<size_t>(w);
    while (left && left >= iov[i].iov_len) left -= iov[i++].iov_len;
    if (left) {
      iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
      iov[i].iov_len -= left;
    }
  }
}

// Where a regular file's bytes come from: its host file (opened here, closed on scope exit)
// or the tree's spill file at the entry's offset (tar input); `what` names it in errors.
struct ContentSource {
  int fd;
  uint64_t base;
  Fd owned;  // the host file, when the bytes come from one
  std::string what;
  ContentSource(const Entry& e, int spill_fd) : fd(spill_fd), base(e.content.spill_offset) {
    what = e.content.host_path.empty() ? "/" + e.path : e.content.host_path;
    if (e.content.host_path.empty()) return;
    owned.reset(::open(e.content.host_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned)
      throw_environment(fmt::format("cannot open: {}", std::strerror(errno)), e.content.host_path);
    fd = owned.get();
    base = 0;
  }
};

void start_chunk(ExtBuild& b) {
  ChunkStream& s = b.data;
  auto& slot = s.ring[s.ring_next++ % kRingChunks];
  if (!slot)
    slot = std::make_unique<Chunk>();
  else
    s.writer.wait(slot->written);  // written: the buffer can be reused
  s.cur = slot.get();
  s.cur->blocks = 0;
  s.cur->lblks.clear();
  s.cur->runs.clear();
}

// The chunk's digest for the content hash. XXH3-128 rather than a cryptographic hash: it only
// names the content for the UUID (the image's measurements are SHA-256 and dm-verity over its
// bytes), and at over 10 GB/s it is a rounding error where BLAKE2b took two threads and a
// third of the build's CPU time. Its output is fixed by its specification on every platform.
std::array<uint8_t, 16> chunk_digest(const Chunk& c) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> st(XXH3_createState(), &XXH3_freeState);
  if (!st || XXH3_128bits_reset(st.get()) != XXH_OK) throw std::bad_alloc();
  std::vector<uint8_t> lblks;
  lblks.reserve(c.blocks * 8);
  for (size_t i = 0; i < c.blocks; ++i) {
    auto le = le64_bytes(c.lblks[i]);
    lblks.insert(lblks.end(), le.begin(), le.end());
  }
  XXH3_128bits_update(st.get(), c.buf.get(), c.blocks * kBlockSize);
  XXH3_128bits_update(st.get(), lblks.data(), lblks.size());
  XXH128_canonical_t out;
  XXH128_canonicalFromHash(&out, XXH3_128bits_digest(st.get()));
  std::array<uint8_t, 16> d;
  std::memcpy(d.data(), out.digest, d.size());
  return d;
}

// Hashes the chunk and queues its writing.
void submit_chunk(ExtBuild& b) {
  ChunkStream& s = b.data;
  if (!s.cur || s.cur->blocks == 0) return;
  Chunk* c = s.cur;
  s.cur = nullptr;
  c->written = s.writer.post([c, fd = b.out.get(), path = &b.path] {
    const char* d = c->buf.get();
    for (const auto& [p, n] : c->runs) {
      pwrite_all(fd, d, n * kBlockSize, p * kBlockSize, *path);
      d += n * kBlockSize;
    }
  });
  s.digests.push_back(chunk_digest(*c));
}

// With a sink the image must go out to it in block order, after the metadata is final: the
// data blocks are written now and noted here, and phase 3 hands them to the sink from the
// output's page cache. (Keeping them in memory instead cost more: a fresh page zeroed by the
// kernel for every block, a quarter of the CPU time of a measured build.)
void note_data_block(ExtBuild& b, uint64_t p) {
  if (!b.segs.empty() && b.segs.back().pblk + b.segs.back().len == p)
    ++b.segs.back().len;
  else
    b.segs.push_back({p, 1});
}

// The chunk the next block goes into, with room for at least one.
Chunk& chunk_with_room(ExtBuild& b) {
  Chunk*& cur = b.data.cur;
  if (cur && cur->blocks == kChunkBlocks) submit_chunk(b);
  if (!cur) start_chunk(b);
  return *cur;
}

// Places the block of data for `lblk` of inode `ino` that is already in the current chunk's
// next slot: allocates the next free block, extends the chunk's, the inode's and the write
// pass's runs.
void add_block(ExtBuild& b, uint32_t ino, uint64_t lblk) {
  Node& n = b.nodes[ino];
  uint64_t p = b.alloc_block();
  Chunk* cur = b.data.cur;
  ++cur->blocks;
  cur->lblks.push_back(lblk);
  if (!cur->runs.empty() && cur->runs.back().first + cur->runs.back().second == p)
    ++cur->runs.back().second;
  else
    cur->runs.emplace_back(p, 1);
  if (b.sink) note_data_block(b, p);
  if (!n.runs.empty()) {
    Run& r = n.runs.back();
    if (r.lblk + r.len == lblk && r.pblk + r.len == p && r.len < kMaxExtentLen) {
      ++r.len;
      ++n.data_blocks;
      return;
    }
  }
  n.runs.push_back({lblk, p, 1});
  ++n.data_blocks;
}

// Directory blocks are written with the inodes (they carry checksums); reserve them now.
void reserve_dir_blocks(ExtBuild& b, Node& n) {
  for (uint64_t i = 0; i < n.dir_blocks.size(); ++i) {
    uint64_t p = b.alloc_block();
    if (!n.runs.empty() && n.runs.back().pblk + n.runs.back().len == p &&
        n.runs.back().len < kMaxExtentLen)
      ++n.runs.back().len;
    else
      n.runs.push_back({i, p, 1});
    ++n.data_blocks;
  }
}

void place_long_symlink(ExtBuild& b, Node& n) {
  std::string blk(kBlockSize, '\0');
  std::memcpy(blk.data(), n.e->target.data(), n.e->target.size());
  uint64_t p = b.alloc_block();
  b.mem.write(p * kBlockSize, kBlockSize, blk.data());
  n.runs.push_back({0, p, 1});
  ++n.data_blocks;
}

// Reads a regular file once and places its non-zero blocks (all-zero blocks become holes).
// The SHA-256 of a file's content as place_file reads it (for IMA policies): the bytes read,
// and zeros for the source's holes, which are not read.
class FileDigest {
 public:
  explicit FileDigest(bool on) {
    if (on) h_.emplace(HashAlg::kSha256);
  }
  // The file's bytes [off, off + len); any part already hashed is skipped.
  void data(uint64_t off, const char* p, size_t len) {
    if (!h_) return;
    zeros_to(off);
    if (off + len <= done_) return;
    const uint64_t skip = done_ - off;
    h_->update(std::span(reinterpret_cast<const uint8_t*>(p) + skip, len - skip));
    done_ = off + len;
  }
  void zeros_to(uint64_t off) {
    static const std::array<uint8_t, 65536> z{};
    while (h_ && done_ < off) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(off - done_, z.size()));
      h_->update(std::span(z.data(), n));
      done_ += n;
    }
  }
  std::optional<Digest> finish(uint64_t size) {
    if (!h_) return std::nullopt;
    zeros_to(size);
    return h_->finish();
  }

 private:
  std::optional<Hasher> h_;
  uint64_t done_ = 0;
};

void place_file(ExtBuild& b, uint32_t ino) {
  const Entry& e = *b.nodes[ino].e;
  const ContentSource src(e, b.tree.spill_fd());
  const uint64_t size = e.content.size;
  FileDigest digest(b.opts.file_digests);
  uint64_t off = 0;
  while (off < size) {
    // Skip the source's holes without reading them (SEEK_DATA); what is read is still
    // checked for zero blocks, so the image does not depend on how sparse the source was.
    // (Small files are just read: two lseeks cost more than reading them.)
    off_t data = -1;
    if (size > (256u << 10)) {
      data = ::lseek(src.fd, static_cast<off_t>(src.base + off), SEEK_DATA);
      if (data < 0 && errno == ENXIO) break;
    }
    uint64_t end = size;
    if (data >= 0) {
      off_t hole = ::lseek(src.fd, data, SEEK_HOLE);
      off = (static_cast<uint64_t>(data) - src.base) & ~uint64_t{kBlockSize - 1};
      if (hole >= 0)
        end = std::min<uint64_t>(size, (static_cast<uint64_t>(hole) - src.base + kBlockSize - 1) &
                                           ~uint64_t{kBlockSize - 1});
      if (off >= size) break;
    }
    // Read straight into the chunk's free slots; an all-zero block is dropped by moving the
    // blocks after it down (a memcpy of every block through a read buffer cost more).
    while (off < end) {
      Chunk& c = chunk_with_room(b);
      char* slot = c.buf.get() + c.blocks * kBlockSize;
      size_t len = static_cast<size_t>(
          std::min<uint64_t>((kChunkBlocks - c.blocks) * kBlockSize, end - off));
      pread_all(src.fd, slot, len, src.base + off, src.what);
      digest.data(off, slot, len);
      if (len % kBlockSize) std::memset(slot + len, 0, kBlockSize - len % kBlockSize);
      for (size_t at = 0; at < len; at += kBlockSize) {
        const char* blk = slot + at;
        if (all_zero(blk, kBlockSize)) continue;
        char* to = c.buf.get() + c.blocks * kBlockSize;
        if (to != blk) std::memmove(to, blk, kBlockSize);
        add_block(b, ino, (off + at) / kBlockSize);
      }
      off += len;
    }
  }
  if (auto d = digest.finish(size)) b.file_sha256[e.path] = *d;
}

// Gathers consecutive blocks into one vectored write of up to kWriteChunk bytes, and hands
// every byte to the sink as it is added.
class BatchWriter {
 public:
  BatchWriter(int fd, const std::string& path, ImageSink* sink)
      : fd_(fd), path_(path), sink_(sink) {}

  void add(uint64_t blk, const void* p, size_t bytes) {
    if (!iov_.empty() && start_ + bytes_ / kBlockSize != blk) flush();
    if (iov_.empty()) start_ = blk;
    iov_.push_back({const_cast<void*>(p), bytes});
    bytes_ += bytes;
    if (sink_) sink_->data(std::span(static_cast<const uint8_t*>(p), bytes));
    if (bytes_ >= kWriteChunk) flush();
  }

  void flush() {
    pwritev_all(fd_, iov_, start_ * kBlockSize, path_);
    iov_.clear();
    bytes_ = 0;
  }

 private:
  int fd_;
  const std::string& path_;
  ImageSink* sink_;
  std::vector<iovec> iov_;
  uint64_t start_ = 0, bytes_ = 0;
};

}  // namespace

// Aligned for transparent huge pages: kept chunks are fresh memory, and a 4 KiB page fault
// per block written into them was a tenth of the writer thread's time.
std::unique_ptr<char, FreeBuf> chunk_buffer() {
  constexpr size_t kHuge = 2u << 20;
  auto* p = static_cast<char*>(std::aligned_alloc(kHuge, kWriteChunk));
  if (!p) throw std::bad_alloc();
  ::madvise(p, kWriteChunk, MADV_HUGEPAGE);  // advice only: failure is harmless
  return std::unique_ptr<char, FreeBuf>(p);
}

void place_data(ExtBuild& b) {
  for_each_planned_inode(b.nodes, [&](uint32_t ino) {
    Node& n = b.nodes[ino];
    const Entry& e = *n.e;
    if (e.type == EntryType::kDirectory)
      reserve_dir_blocks(b, n);
    else if (e.type == EntryType::kSymlink && e.target.size() >= sizeof(ext2_inode::i_block))
      place_long_symlink(b, n);
    else if (e.type == EntryType::kRegular && e.content.size != 0)
      place_file(b, ino);
    else if (e.type == EntryType::kRegular && b.opts.file_digests)
      b.file_sha256[e.path] = hash(HashAlg::kSha256, std::string_view());
  });
  submit_chunk(b);
  b.data.writer.wait();  // every data block is in the output
}

Digest content_hash(const ExtBuild& b) {
  Hasher content(HashAlg::kSha256);
  for (const auto& d : b.data.digests) content.update(std::span<const uint8_t>(d));
  return content.finish();
}

void emit_image(ExtBuild& b, uint64_t blocks) {
  const auto pages = b.mem.pages();
  ImageSink* sink = b.sink;
  const std::string& path = b.path;
  std::span<const uint8_t> data;
  if (sink) {
    sink->begin(blocks * kBlockSize);
    if (!b.segs.empty()) {
      b.out_map = MappedFile::map(b.out.get(), path);
      if (!b.out_map || b.out_map->bytes().size() < blocks * kBlockSize)
        throw_environment("cannot map the image to measure it", path);
      b.out_map->advise_sequential();
      data = b.out_map->bytes();
    }
  }
  BatchWriter w(b.out.get(), path, sink);
  size_t ip = 0, is = 0;
  uint64_t blk = 0;
  constexpr uint64_t kNone = ~uint64_t{0};
  while (blk < blocks) {
    uint64_t np = ip < pages.size() ? pages[ip].first : kNone;
    uint64_t ns = is < b.segs.size() ? b.segs[is].pblk : kNone;
    if (np < blk || ns < blk)
      throw_environment(fmt::format("internal: block {} written twice", std::min(np, ns)), path);
    if (np == blk) {
      const auto* page = reinterpret_cast<const char*>(pages[ip].second);
      if (all_zero(page, kBlockSize)) {
        w.flush();  // an all-zero page stays a hole
        if (sink) sink->zeros(kBlockSize);
      } else {
        w.add(blk, page, kBlockSize);
      }
      ++ip;
      ++blk;
    } else if (ns == blk) {
      const Segment& sg = b.segs[is++];
      if (np < sg.pblk + sg.len)
        throw_environment(fmt::format("internal: block {} written twice", np), path);
      w.flush();  // already written: only the sink sees these bytes again
      sink->data(data.subspan(sg.pblk * kBlockSize, sg.len * kBlockSize));
      blk += sg.len;
    } else {
      // A hole: nothing written, zeros hashed.
      uint64_t end = std::min({np, ns, blocks});
      w.flush();
      if (sink) sink->zeros((end - blk) * kBlockSize);
      blk = end;
    }
  }
  w.flush();
  if (sink) sink->sync();  // the pages and chunks are freed with the build
}

}  // namespace integral::image
