// The ext writer's shared vocabulary and the one context its passes work on.
//
// write_ext_image (ext_writer.cpp) runs the passes in order over an ExtBuild: plan inode
// numbers and the size (ext_plan), lay out the file system (ext_writer), derive the hash seed
// (ext_identity), build directory blocks (ext_dir), place and hash file data (ext_data), derive
// the UUID (ext_identity), write inodes and shared EA blocks (ext_inode), close, then emit the
// image in block order (ext_data). Everything a pass needs from another is a member here, so
// no pass reaches into another's file.
#pragma once

extern "C" {
#include <et/com_err.h>
}
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/image/ext2fs_mem_io.h"
#include "integral/image/ext_writer.h"
#include "integral/image/tree.h"
#include "integral/util/error.h"
#include "integral/util/fd.h"
#include "integral/util/mapped_file.h"
#include "integral/util/serial_worker.h"

namespace integral::image {

inline constexpr uint32_t kBlockSize = 4096;
inline constexpr uint32_t kInodeSize = 256;
inline constexpr uint32_t kMaxExtentLen = 32768;
inline constexpr size_t kWriteChunk = 8u << 20;  // large sequential writes
inline constexpr size_t kChunkBlocks = kWriteChunk / kBlockSize;
// Chunks in flight between the planning thread and the hashing threads.
inline constexpr size_t kRingChunks = 4;

struct NoSpace {};  // the computed size was too small: retry larger

// Throws NoSpace for libext2fs's out-of-space errors, else an environment error naming `what`.
inline void check(errcode_t err, const std::string& what) {
  if (err == EXT2_ET_BLOCK_ALLOC_FAIL || err == EXT2_ET_INODE_ALLOC_FAIL ||
      err == EXT2_ET_DIR_NO_SPACE)
    throw NoSpace{};
  if (err) throw_environment(fmt::format("{}: {}", what, error_message(err)));
}

// Integers enter the UUID's hash little-endian whatever the host, so every machine derives the
// same UUID from the same tree.
inline std::array<uint8_t, 8> le64_bytes(uint64_t v) {
  std::array<uint8_t, 8> b{};
  for (size_t i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

inline uint64_t div_up(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

inline bool all_zero(const char* p, size_t n) {
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

struct Run {
  uint64_t lblk, pblk, len;
};

// A run of file data: image blocks [pblk, pblk+len), written in phase 1.
struct Segment {
  uint64_t pblk, len;
};

struct Dirent {
  std::string name;
  uint32_t ino;
  EntryType type;
};

struct Node {
  const Entry* e = nullptr;  // metadata (the first name of a hard-linked file)
  uint32_t links = 0;
  uint32_t parent = 0;
  std::vector<Dirent> dirents;  // directories, after "." and ".."
  std::vector<Run> runs;        // blocks holding data (files, directories, long symlinks)
  uint64_t data_blocks = 0;
  std::vector<std::string> dir_blocks;
  bool htree = false;
};

// Inodes the passes visit, in order: root, then 11 (lost+found) on; 3-10 are reserved.
template <typename F>
void for_each_planned_inode(const std::vector<Node>& nodes, F&& f) {
  for (uint32_t ino = EXT2_ROOT_INO; ino < nodes.size(); ++ino) {
    if (ino > EXT2_ROOT_INO && ino < 11) continue;
    f(ino);
  }
}

// Owns a libext2fs handle H (a pointer type): `Free` releases it on every path (errors ignored:
// unwinding); where the release can fail and matters, `Close` (which takes the handle's address
// and reports the error) is called through close(), after which there is nothing left to free.
template <typename H, void (*Free)(H), errcode_t (*Close)(H*) = nullptr>
class Ext2Handle {
 public:
  Ext2Handle() = default;
  ~Ext2Handle() {
    if (h_) Free(h_);
  }
  Ext2Handle(const Ext2Handle&) = delete;
  Ext2Handle& operator=(const Ext2Handle&) = delete;
  H get() const { return h_; }
  H operator->() const { return h_; }
  H* out() { return &h_; }
  // Only for handles given a Close. (No `requires(Close != nullptr)`: GCC's sanitizer builds do
  // not take the address of an external function as a constant expression.)
  errcode_t close() {
    errcode_t err = Close(&h_);
    h_ = nullptr;
    return err;
  }

 private:
  H h_ = nullptr;
};

// The file system: freed without writing unless close() (write and free) succeeded.
using Ext2Fs = Ext2Handle<ext2_filsys, ext2fs_free, ext2fs_close_free>;

// File data planned in phase 1 is gathered in chunks of kChunkBlocks blocks (the last one
// shorter), hashed for the UUID and written out (on the writer thread) while the next chunk is
// read. Each chunk has its own digest, XXH3-128 over its blocks in plan order followed by their
// logical block numbers; the content hash is SHA-256 over the chunk digests in order. Chunk
// boundaries depend only on the plan, so the UUID is the same with or without a sink and
// whatever the timing.
struct FreeBuf {
  void operator()(char* p) const { std::free(p); }
};
std::unique_ptr<char, FreeBuf> chunk_buffer();  // ext_data.cpp

struct Chunk {
  std::unique_ptr<char, FreeBuf> buf = chunk_buffer();
  size_t blocks = 0;
  std::vector<uint64_t> lblks;                      // per block, for the content hash
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // where it goes: (first block, count)
  uint64_t written = 0;                             // its task on the writer
};

struct ChunkStream {
  std::array<std::unique_ptr<Chunk>, kRingChunks> ring;  // reused chunks
  size_t ring_next = 0;
  Chunk* cur = nullptr;
  std::vector<std::array<uint8_t, 16>> digests;  // XXH3-128 of each chunk
  // Last: its tasks use the chunks above. It copies them into the output's page cache
  // (pwrite), a third of the reading thread's time when that thread did it itself.
  SerialWorker writer;
};

// An EA block shared by every inode with the same xattr set.
struct SharedEa {
  blk64_t block;
  uint32_t refs;
  const Entry* entry;
};

// Everything the passes share. Members are destroyed in reverse order: the hashing threads
// (in `data`) stop before the chunks they read are freed, and the file system handle is freed
// before the memory image it writes into.
struct ExtBuild {
  ExtBuild(const Tree& tree, const ExtOptions& opts, std::vector<Node>& nodes);
  ~ExtBuild();  // first waits until the sink no longer uses bytes owned here
  ExtBuild(const ExtBuild&) = delete;
  ExtBuild& operator=(const ExtBuild&) = delete;

  // The next free block from the cursor on; NoSpace when there is none.
  uint64_t alloc_block() {
    blk64_t b = 0;
    if (ext2fs_find_first_zero_block_bitmap2(fs->block_map, cursor,
                                             ext2fs_blocks_count(fs->super) - 1, &b))
      throw NoSpace{};
    ext2fs_block_alloc_stats2(fs.get(), b, +1);
    cursor = b + 1;
    return b;
  }

  const Tree& tree;
  const ExtOptions& opts;
  std::vector<Node>& nodes;  // by inode number (the plan, filled in by the passes)
  const bool ext4;
  const bool journal;
  MemImage mem;  // where libext2fs writes (before `fs`, which writes into it)
  ImageSink* sink = nullptr;
  std::string path;  // the output's temporary file
  Fd out;            // the output file
  // With a sink: the output, mapped for phase 3 to hand it the data written in phase 1.
  std::optional<MappedFile> out_map;
  Ext2Fs fs;
  blk64_t cursor = 0;  // block allocation goes forward from here
  Digest meta_hash;    // metadata_hash(): the hash seed and part of the UUID
  uint32_t seed[4] = {};
  std::vector<Segment> segs;                  // with a sink: where file data went, in block order
  std::map<std::string, Digest> file_sha256;  // with opts.file_digests: by entry path
  std::deque<SharedEa> ea_all;                // in allocation order (stable addresses)
  std::unordered_map<std::string, SharedEa*> ea_current;
  ChunkStream data;  // last: its hashing threads use the chunks it holds
};

}  // namespace integral::image
