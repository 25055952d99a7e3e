#include "integral/image/ext_data.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

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
  if (b.sink && s.kept_bytes + kWriteChunk <= kArenaBudget) {
    s.cur = s.kept.emplace_back(std::make_unique<Chunk>()).get();
    s.cur->kept = true;
    s.kept_bytes += kWriteChunk;
    return;
  }
  auto& slot = s.ring[s.ring_next++ % kRingChunks];
  if (!slot)
    slot = std::make_unique<Chunk>();
  else
    s.hashers[slot->hasher].wait(slot->ticket);  // hashed: the buffer can be reused
  s.cur = slot.get();
  s.cur->blocks = 0;
  s.cur->lblks.clear();
  s.cur->runs.clear();
}

// Writes the chunk (without a sink) and queues its hashing.
void submit_chunk(ExtBuild& b) {
  ChunkStream& s = b.data;
  if (!s.cur || s.cur->blocks == 0) return;
  Chunk* c = s.cur;
  s.cur = nullptr;
  if (!b.sink) {
    const char* d = c->buf.get();
    for (const auto& [p, n] : c->runs) {
      pwrite_all(b.out.get(), d, n * kBlockSize, p * kBlockSize, b.path);
      d += n * kBlockSize;
    }
  }
  auto* out = &s.digests.emplace_back();  // deque: stays put as more are added
  c->hasher = (s.digests.size() - 1) % std::size(s.hashers);
  c->ticket = s.hashers[c->hasher].post([c, out] {
    // BLAKE2b: about 2.3x SHA-256's speed where the CPU has no SHA instructions, and this
    // digest only names the content (the image's measurement is SHA-256 of its bytes).
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    bool ok = ctx && EVP_DigestInit_ex2(ctx.get(), EVP_blake2b512(), nullptr) == 1;
    for (size_t i = 0; ok && i < c->blocks; ++i)
      ok = EVP_DigestUpdate(ctx.get(), le64_bytes(c->lblks[i]).data(), 8) == 1 &&
           EVP_DigestUpdate(ctx.get(), c->buf.get() + i * kBlockSize, kBlockSize) == 1;
    unsigned int len = 0;
    if (!ok || EVP_DigestFinal_ex(ctx.get(), out->data(), &len) != 1 || len != out->size())
      throw_environment("OpenSSL BLAKE2b failed");
  });
}

// With a sink the image must go out in block order, after the metadata is final: the data
// block is kept in its chunk (`mem`, up to the budget) or re-read in the write pass.
void keep(ExtBuild& b, uint32_t ino, uint64_t p, uint64_t lblk, const char* mem) {
  auto& segs = b.segs;
  if (!segs.empty()) {
    Segment& s = segs.back();
    if (s.ino == ino && s.pblk + s.len == p && s.lblk + s.len == lblk &&
        ((s.mem == nullptr && mem == nullptr) || (s.mem && mem == s.mem + s.len * kBlockSize)))
      ++s.len;
    else
      segs.push_back({p, 1, ino, lblk, mem});
  } else {
    segs.push_back({p, 1, ino, lblk, mem});
  }
}

// Places one block of data for `lblk` of inode `ino`: allocates the next free block,
// extends the inode's runs and the write pass's segments, copies the bytes into the chunk.
void put_block(ExtBuild& b, uint32_t ino, uint64_t lblk, const char* data) {
  Node& n = b.nodes[ino];
  uint64_t p = b.alloc_block();
  Chunk*& cur = b.data.cur;
  if (cur && cur->blocks == kChunkBlocks) submit_chunk(b);
  if (!cur) start_chunk(b);
  char* dst = cur->buf.get() + cur->blocks * kBlockSize;
  std::memcpy(dst, data, kBlockSize);
  ++cur->blocks;
  cur->lblks.push_back(lblk);
  if (!cur->runs.empty() && cur->runs.back().first + cur->runs.back().second == p)
    ++cur->runs.back().second;
  else
    cur->runs.emplace_back(p, 1);
  if (b.sink) keep(b, ino, p, lblk, cur->kept ? dst : nullptr);
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
void place_file(ExtBuild& b, uint32_t ino) {
  const Entry& e = *b.nodes[ino].e;
  const ContentSource src(e, b.tree.spill_fd());
  // One buffer for all files (a fresh 1 MiB per file costs a memset each).
  auto& buf = b.read_buf;
  if (buf.empty()) buf.resize(1u << 20);
  const uint64_t size = e.content.size;
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
    for (; off < end; off += buf.size()) {
      size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - off));
      pread_all(src.fd, buf.data(), len, src.base + off, src.what);
      if (len % kBlockSize) std::memset(buf.data() + len, 0, kBlockSize - len % kBlockSize);
      for (size_t at = 0; at < len; at += kBlockSize) {
        if (all_zero(buf.data() + at, kBlockSize)) continue;
        put_block(b, ino, (off + at) / kBlockSize, buf.data() + at);
      }
    }
  }
}

// Reads a segment that was not kept in memory again from its source, in large reads, and
// checks it still holds what was planned (the tree must not change during the build).
template <typename F>
void read_segment(ExtBuild& b, const Segment& sg, F&& out) {
  const Entry& e = *b.nodes[sg.ino].e;
  const ContentSource src(e, b.tree.spill_fd());
  auto& buf = b.read_buf;
  if (buf.size() < kWriteChunk) buf.resize(kWriteChunk);
  for (uint64_t done = 0; done < sg.len;) {
    uint64_t cnt = std::min<uint64_t>(sg.len - done, kWriteChunk / kBlockSize);
    uint64_t off = (sg.lblk + done) * kBlockSize;
    uint64_t avail = e.content.size > off ? e.content.size - off : 0;
    size_t len = static_cast<size_t>(std::min<uint64_t>(avail, cnt * kBlockSize));
    if (len <= (cnt - 1) * kBlockSize)
      throw_environment("file shrank while the image was being built", src.what);
    pread_all(src.fd, buf.data(), len, src.base + off, src.what);
    std::memset(buf.data() + len, 0, cnt * kBlockSize - len);
    for (uint64_t k = 0; k < cnt; ++k)
      if (all_zero(buf.data() + k * kBlockSize, kBlockSize))
        throw_environment("file changed while the image was being built", src.what);
    out(sg.pblk + done, buf.data(), cnt * kBlockSize);
    done += cnt;
  }
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
  });
  submit_chunk(b);
  for (auto& w : b.data.hashers) w.wait();  // every chunk's digest is known
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
  if (sink) sink->begin(blocks * kBlockSize);
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
      if (sg.mem) {
        w.add(blk, sg.mem, sg.len * kBlockSize);
      } else {
        w.flush();  // the read buffer is reused below
        read_segment(b, sg, [&](uint64_t at, const char* p, size_t bytes) {
          w.add(at, p, bytes);
          w.flush();
          if (sink) sink->sync();  // done with the buffer before it is read into again
        });
      }
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
