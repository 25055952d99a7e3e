#include "integral/image/ext_writer.h"

extern "C" {
#include <et/com_err.h>
}
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <ext2fs/ext3_extents.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <new>
#include <unordered_map>

#include "integral/crypto/digest.h"
#include "integral/image/ext2fs_mem_io.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"
#include "integral/util/serial_worker.h"

namespace integral::image {

namespace {

// Integers enter the UUID's hash little-endian whatever the host, so every machine derives the
// same UUID from the same tree.
std::array<uint8_t, 8> le64_bytes(uint64_t v) {
  std::array<uint8_t, 8> b{};
  for (size_t i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

constexpr uint32_t kBlockSize = 4096;
constexpr uint32_t kInodeSize = 256;
constexpr uint32_t kMaxExtentLen = 32768;
constexpr size_t kWriteChunk = 8u << 20;  // large sequential writes
constexpr size_t kChunkBlocks = kWriteChunk / kBlockSize;
// File data read while planning is kept for the write pass up to this much; beyond it the
// write pass reads the source again (from the page cache) instead of holding the whole image.
constexpr size_t kArenaBudget = 512u << 20;
// Chunks in flight between the planning thread and the hashing thread (when not kept).
constexpr size_t kRingChunks = 4;

struct NoSpace {};  // the computed size was too small: retry larger

void check(errcode_t err, const std::string& what) {
  if (err == EXT2_ET_BLOCK_ALLOC_FAIL || err == EXT2_ET_INODE_ALLOC_FAIL ||
      err == EXT2_ET_DIR_NO_SPACE)
    throw NoSpace{};
  if (err) throw_environment(fmt::format("{}: {}", what, error_message(err)));
}

struct Run {
  uint64_t lblk, pblk, len;
};

// A run of file data: image blocks [pblk, pblk+len) hold blocks [lblk, lblk+len) of inode
// `ino`; `mem` points at the bytes when they were kept from the planning read.
struct Segment {
  uint64_t pblk, len;
  uint32_t ino;
  uint64_t lblk;
  const char* mem;
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

uint8_t file_type(EntryType t) {
  switch (t) {
    case EntryType::kRegular:
      return EXT2_FT_REG_FILE;
    case EntryType::kDirectory:
      return EXT2_FT_DIR;
    case EntryType::kSymlink:
      return EXT2_FT_SYMLINK;
    case EntryType::kCharDev:
      return EXT2_FT_CHRDEV;
    case EntryType::kBlockDev:
      return EXT2_FT_BLKDEV;
    case EntryType::kFifo:
      return EXT2_FT_FIFO;
    case EntryType::kSocket:
      return EXT2_FT_SOCK;
  }
  return 0;
}

uint16_t mode_bits(EntryType t) {
  switch (t) {
    case EntryType::kRegular:
      return LINUX_S_IFREG;
    case EntryType::kDirectory:
      return LINUX_S_IFDIR;
    case EntryType::kSymlink:
      return LINUX_S_IFLNK;
    case EntryType::kCharDev:
      return LINUX_S_IFCHR;
    case EntryType::kBlockDev:
      return LINUX_S_IFBLK;
    case EntryType::kFifo:
      return LINUX_S_IFIFO;
    case EntryType::kSocket:
      return LINUX_S_IFSOCK;
  }
  return 0;
}

uint64_t div_up(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

uint32_t rec_len_for(size_t name_len) {
  return static_cast<uint32_t>((8 + name_len + 3) & ~size_t{3});
}

// Inode numbers in traversal order: a directory's children get consecutive numbers, then each
// subdirectory is numbered in turn. Root is 2, lost+found 11 (as mke2fs does).
class Planner {
 public:
  explicit Planner(const Tree& tree) : tree_(tree) {}

  std::vector<Node> plan(const Entry& lost_found) {
    nodes_.resize(12);
    nodes_[EXT2_ROOT_INO].e = &tree_.root();
    nodes_[EXT2_ROOT_INO].parent = EXT2_ROOT_INO;
    nodes_[EXT2_ROOT_INO].links = 2;
    ino_of_[""] = EXT2_ROOT_INO;
    nodes_[11].e = &lost_found;
    ino_of_["lost+found"] = 11;
    number(EXT2_ROOT_INO, "");
    return std::move(nodes_);
  }

 private:
  void number(uint32_t dir_ino, const std::string& dir_path) {
    const Entry& dir = *nodes_[dir_ino].e;
    std::vector<std::pair<uint32_t, std::string>> subdirs;
    auto names = dir.children;
    if (dir_path.empty() && !tree_.find("lost+found"))
      names.insert(std::upper_bound(names.begin(), names.end(), std::string("lost+found")),
                   "lost+found");
    for (const auto& name : names) {
      std::string path = dir_path.empty() ? name : dir_path + "/" + name;
      const Entry* e = tree_.find(path);
      if (!e) e = nodes_[11].e;  // the lost+found we add
      const std::string& key = e->link_to.empty() ? path : e->link_to;
      uint32_t ino;
      if (auto it = ino_of_.find(key); it != ino_of_.end()) {
        ino = it->second;
      } else {
        ino = static_cast<uint32_t>(nodes_.size());
        nodes_.emplace_back();
        nodes_[ino].e = e->link_to.empty() ? e : tree_.find(e->link_to);
        ino_of_[key] = ino;
      }
      Node& n = nodes_[ino];
      EntryType t = n.e->type;
      if (t == EntryType::kDirectory) {
        n.links = 2;
        n.parent = dir_ino;
        nodes_[dir_ino].links++;
        subdirs.emplace_back(ino, path);
      } else {
        n.links++;
      }
      nodes_[dir_ino].dirents.push_back({name, ino, t});
    }
    for (const auto& [ino, path] : subdirs) number(ino, path);
  }

  const Tree& tree_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, uint32_t> ino_of_;
};

// Writes one directory entry at `at` in a zero-filled block.
void put_dirent(std::string& blk, uint32_t at, const Dirent& d, uint32_t rec_len) {
  uint16_t rl16 = static_cast<uint16_t>(rec_len);
  std::memcpy(&blk[at], &d.ino, 4);
  std::memcpy(&blk[at + 4], &rl16, 2);
  blk[at + 6] = static_cast<char>(d.name.size());
  blk[at + 7] = static_cast<char>(file_type(d.type));
  std::memcpy(&blk[at + 8], d.name.data(), d.name.size());
}

// Closes a directory block: the last entry's record reaches the end of the usable space, and
// with metadata_csum the (zero-filled) block gets its checksum tail; the checksum itself is
// filled when written.
void close_dir_block(std::string& blk, uint32_t last, uint32_t cap, bool csum) {
  uint16_t rl = static_cast<uint16_t>(cap - last);
  std::memcpy(&blk[last + 4], &rl, 2);
  if (csum) {
    auto* t = reinterpret_cast<ext2_dir_entry_tail*>(&blk[cap]);
    t->det_rec_len = 12;
    t->det_reserved_name_len = EXT2_DIR_NAME_LEN_CSUM;
  }
}

// Packs "." "..", then the entries, into blocks; the checksum tail is filled when written.
std::vector<std::string> build_dir_blocks(uint32_t ino, const Node& n, bool csum) {
  std::vector<Dirent> all;
  all.push_back({".", ino, EntryType::kDirectory});
  all.push_back({"..", n.parent, EntryType::kDirectory});
  all.insert(all.end(), n.dirents.begin(), n.dirents.end());
  const uint32_t cap = kBlockSize - (csum ? 12u : 0u);
  std::vector<std::string> blocks;
  std::string cur(kBlockSize, '\0');
  uint32_t used = 0, last = 0;
  auto finish = [&] {
    close_dir_block(cur, last, cap, csum);
    blocks.push_back(cur);
    cur.assign(kBlockSize, '\0');
    used = 0;
  };
  for (const auto& d : all) {
    uint32_t rl = rec_len_for(d.name.size());
    if (used + rl > cap) finish();
    last = used;
    put_dirent(cur, used, d, rl);
    used += rl;
  }
  finish();
  return blocks;
}

// A hash-indexed (htree) directory: block 0 is the dx root ("." and ".." plus the index),
// then index nodes when one level is not enough, then leaves holding the entries in hash
// order. Layout as in the kernel's fs/ext4/namei.c and e2fsck's rehash; e2fsck checks it.
std::vector<std::string> build_htree(uint32_t ino, const Node& n, bool csum,
                                     const uint32_t seed[4]) {
  struct Hashed {
    uint32_t hash, minor;
    const Dirent* d;
  };
  std::vector<Hashed> hs;
  hs.reserve(n.dirents.size());
  for (const auto& d : n.dirents) {
    ext2_dirhash_t h = 0, m = 0;
    errcode_t err = ext2fs_dirhash2(EXT2_HASH_HALF_MD4_UNSIGNED, d.name.data(),
                                    static_cast<int>(d.name.size()), nullptr, 0, seed, &h, &m);
    if (err) throw_environment(fmt::format("directory hash: {}", error_message(err)));
    hs.push_back({static_cast<uint32_t>(h), static_cast<uint32_t>(m), &d});
  }
  std::sort(hs.begin(), hs.end(), [](const Hashed& a, const Hashed& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    if (a.minor != b.minor) return a.minor < b.minor;
    return a.d->name < b.d->name;
  });
  // Leaves.
  const uint32_t cap = kBlockSize - (csum ? 12u : 0u);
  std::vector<std::string> leaves;
  std::vector<uint32_t> start_hash;
  uint32_t prev_last = 0;
  std::string cur;
  uint32_t used = 0, last = 0;
  auto finish = [&] {
    close_dir_block(cur, last, cap, csum);
    leaves.push_back(std::move(cur));
  };
  for (size_t i = 0; i < hs.size(); ++i) {
    const Dirent& d = *hs[i].d;
    uint32_t rl = rec_len_for(d.name.size());
    if (leaves.empty() && cur.empty()) {
      cur.assign(kBlockSize, '\0');
      start_hash.push_back(0);
    } else if (used + rl > cap) {
      finish();
      cur.assign(kBlockSize, '\0');
      used = 0;
      // The low bit marks a hash run continued from the previous leaf.
      start_hash.push_back(hs[i].hash == prev_last ? hs[i].hash | 1 : hs[i].hash);
    }
    last = used;
    put_dirent(cur, used, d, rl);
    used += rl;
    prev_last = hs[i].hash;
  }
  finish();

  const uint32_t root_limit = (kBlockSize - 32 - (csum ? 8 : 0)) / 8;
  const uint32_t node_limit = (kBlockSize - 8 - (csum ? 8 : 0)) / 8;
  const size_t nleaves = leaves.size();
  const bool two_levels = nleaves > root_limit;
  const size_t nnodes = two_levels ? div_up(nleaves, node_limit) : 0;
  if (nnodes > root_limit)
    throw_bad_input(
        fmt::format("directory '/{}' has too many entries for two htree levels", n.e->path));
  auto put_entries = [](std::string& blk, size_t at, uint32_t limit,
                        const std::vector<std::pair<uint32_t, uint32_t>>& ents) {
    uint16_t lim = static_cast<uint16_t>(limit), cnt = static_cast<uint16_t>(ents.size());
    std::memcpy(&blk[at], &lim, 2);
    std::memcpy(&blk[at + 2], &cnt, 2);
    std::memcpy(&blk[at + 4], &ents[0].second, 4);
    for (size_t i = 1; i < ents.size(); ++i) {
      std::memcpy(&blk[at + 8 * i], &ents[i].first, 4);
      std::memcpy(&blk[at + 8 * i + 4], &ents[i].second, 4);
    }
  };
  std::string root(kBlockSize, '\0');
  uint16_t rl = 12;
  std::memcpy(&root[0], &ino, 4);
  std::memcpy(&root[4], &rl, 2);
  root[6] = 1;
  root[7] = EXT2_FT_DIR;
  root[8] = '.';
  rl = static_cast<uint16_t>(kBlockSize - 12);
  std::memcpy(&root[12], &n.parent, 4);
  std::memcpy(&root[16], &rl, 2);
  root[18] = 2;
  root[19] = EXT2_FT_DIR;
  root[20] = root[21] = '.';
  root[24 + 4] = EXT2_HASH_HALF_MD4;  // with the unsigned flag in the superblock
  root[24 + 5] = 8;                   // info_length
  root[24 + 6] = two_levels ? 1 : 0;  // indirect_levels
  std::vector<std::string> blocks;
  blocks.push_back(std::move(root));
  if (!two_levels) {
    std::vector<std::pair<uint32_t, uint32_t>> ents;
    for (size_t i = 0; i < nleaves; ++i)
      ents.emplace_back(start_hash[i], static_cast<uint32_t>(1 + i));
    put_entries(blocks[0], 32, root_limit, ents);
  } else {
    std::vector<std::pair<uint32_t, uint32_t>> rents;
    for (size_t j = 0; j < nnodes; ++j) {
      std::string node(kBlockSize, '\0');
      uint16_t nrl = static_cast<uint16_t>(kBlockSize);
      std::memcpy(&node[4], &nrl, 2);  // a fake empty entry over the whole block
      std::vector<std::pair<uint32_t, uint32_t>> ents;
      for (size_t i = j * node_limit; i < std::min(nleaves, (j + 1) * node_limit); ++i)
        ents.emplace_back(start_hash[i], static_cast<uint32_t>(1 + nnodes + i));
      rents.emplace_back(ents[0].first, static_cast<uint32_t>(1 + j));
      put_entries(node, 8, node_limit, ents);
      blocks.push_back(std::move(node));
    }
    put_entries(blocks[0], 32, root_limit, rents);
  }
  for (auto& l : leaves) blocks.push_back(std::move(l));
  return blocks;
}

// The error being unwound is the one to report.
void sync_quietly(ImageSink& sink) noexcept {
  try {
    sink.sync();
  } catch (...) {
  }
}

bool all_zero(const char* p, size_t n) {
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

class Writer {
 public:
  Writer(const Tree& tree, const ExtOptions& opts, std::vector<Node>& nodes)
      : tree_(tree), opts_(opts), nodes_(nodes), meta_hash_(metadata_hash()) {}
  ~Writer() {
    // On an error the sink may still be hashing bytes this writer owns.
    if (sink_) sync_quietly(*sink_);
    if (fs_) ext2fs_free(fs_);
    if (out_fd_ >= 0) ::close(out_fd_);
  }

  ExtResult build(const std::string& path, uint64_t blocks, uint64_t inodes, ImageSink* sink) {
    const bool journal = opts_.kind != ExtKind::kExt2;
    const bool ext4 = opts_.kind == ExtKind::kExt4;
    ext2_super_block param{};
    ext2fs_blocks_count_set(&param, blocks);
    param.s_log_block_size = 2;  // 4096
    param.s_rev_level = EXT2_DYNAMIC_REV;
    param.s_inode_size = kInodeSize;
    param.s_inodes_count = static_cast<uint32_t>(inodes);
    param.s_feature_compat = EXT2_FEATURE_COMPAT_EXT_ATTR | EXT2_FEATURE_COMPAT_DIR_INDEX;
    param.s_feature_ro_compat =
        EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
    param.s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE;
    if (ext4) {
      param.s_feature_ro_compat |=
          EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
          EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
      param.s_feature_incompat |= EXT3_FEATURE_INCOMPAT_EXTENTS | EXT4_FEATURE_INCOMPAT_64BIT |
                                  EXT4_FEATURE_INCOMPAT_FLEX_BG;
      param.s_log_groups_per_flex = 4;
      param.s_desc_size = EXT2_MIN_DESC_SIZE_64BIT;
      param.s_min_extra_isize = param.s_want_extra_isize = 32;
    }
    sink_ = sink;
    path_ = path;
    out_fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (out_fd_ < 0) throw_environment(fmt::format("cannot open: {}", std::strerror(errno)), path);
    mem_.attach_next_open();
    check(ext2fs_initialize(path.c_str(), EXT2_FLAG_64BITS, &param, mem_.manager(), &fs_),
          "cannot lay out the file system");
    auto* sb = fs_->super;
    fs_->now = static_cast<time_t>(opts_.timestamp);
    sb->s_mkfs_time = sb->s_lastcheck = sb->s_wtime = static_cast<uint32_t>(opts_.timestamp);
    sb->s_max_mnt_count = static_cast<__s16>(-1);
    sb->s_creator_os = EXT2_OS_LINUX;
    sb->s_errors = EXT2_ERRORS_CONTINUE;
    sb->s_def_hash_version = EXT2_HASH_HALF_MD4;
    // Unsigned hashing whatever the build host's char signedness.
    sb->s_flags = (sb->s_flags & ~EXT2_FLAGS_SIGNED_HASH) | EXT2_FLAGS_UNSIGNED_HASH;
    if (ext4) sb->s_checksum_type = EXT2_CRC32C_CHKSUM;
    std::memset(sb->s_volume_name, 0, sizeof(sb->s_volume_name));
    std::memcpy(sb->s_volume_name, opts_.label.data(),
                std::min(opts_.label.size(), sizeof(sb->s_volume_name)));
    // Placeholders until the content is known (nothing checksummed is written before then).
    std::memset(sb->s_uuid, 0, 16);
    std::memset(sb->s_hash_seed, 0, 16);
    check(ext2fs_allocate_tables(fs_), "cannot allocate group tables");
    if (ext2fs_has_group_desc_csum(fs_)) {
      // The image starts as a hole: inode tables are already zero.
      for (dgrp_t g = 0; g < fs_->group_desc_count; ++g)
        ext2fs_bg_flags_set(fs_, g,
                            static_cast<__u16>(ext2fs_bg_flags(fs_, g) | EXT2_BG_INODE_ZEROED));
    }
    if (nodes_.size() - 1 > fs_->super->s_inodes_count) throw NoSpace{};

    // The hash seed orders htree leaves, so it comes from the metadata alone (known now);
    // the UUID also covers the content, hashed as it is written.
    {
      auto b = meta_hash_.bytes();
      if (opts_.hash_seed)
        std::memcpy(sb->s_hash_seed, opts_.hash_seed->data(), 16);
      else
        std::memcpy(sb->s_hash_seed, b.data() + 16, 16);
      std::memcpy(seed_, sb->s_hash_seed, 16);
    }
    // Phase 1: data placed in inode order (read once, hashed for the UUID, written in phase 3).
    for (uint32_t ino = EXT2_ROOT_INO; ino < nodes_.size(); ++ino) {
      if (ino > EXT2_ROOT_INO && ino < 11) continue;
      write_data(ino, ext4);
    }
    submit_chunk();
    for (auto& w : hashers_) w.wait();  // every chunk's digest is known

    // Phase 2: identity derived from everything, then metadata with its checksums.
    derive_identity();
    if (journal) {
      ext2fs_journal_params jp{};
      check(ext2fs_get_journal_params(&jp, fs_), "journal size");
      check(ext2fs_add_journal_inode3(fs_, &jp, ~0ULL,
                                      EXT2_MKJOURNAL_NO_MNT_CHECK | EXT2_MKJOURNAL_LAZYINIT),
            "cannot create the journal");
    }
    std::vector<char> zero(kInodeSize, 0);
    for (ext2_ino_t i = 1; i < EXT2_FIRST_INO(sb); ++i) {
      if (i == EXT2_ROOT_INO) continue;
      if (!(journal && i == EXT2_JOURNAL_INO))
        check(
            ext2fs_write_inode_full(fs_, i, reinterpret_cast<ext2_inode*>(zero.data()), kInodeSize),
            "reserved inode");
      ext2fs_inode_alloc_stats2(fs_, i, +1, 0);
    }
    check(ext2fs_update_bb_inode(fs_, nullptr), "bad block inode");
    for (uint32_t ino = EXT2_ROOT_INO; ino < nodes_.size(); ++ino) {
      if (ino > EXT2_ROOT_INO && ino < 11) continue;
      write_inode(ino, ext4);
    }
    write_shared_xattr_blocks();
    ExtResult r;
    r.block_size = kBlockSize;
    r.blocks = ext2fs_blocks_count(sb);
    r.size_bytes = r.blocks * kBlockSize;
    r.free_blocks = ext2fs_free_blocks_count(sb);
    r.inodes = sb->s_inodes_count;
    r.used_inodes = sb->s_inodes_count - sb->s_free_inodes_count;
    char u[37];
    uuid_unparse(sb->s_uuid, u);
    r.uuid = u;
    errcode_t err = ext2fs_close_free(&fs_);
    fs_ = nullptr;
    check(err, "cannot write the file system");
    // Phase 3: the image, once, in block order (without a sink: the metadata; the data is
    // already written).
    emit_to(out_fd_, path, r.blocks, sink);
    int fd = out_fd_;
    out_fd_ = -1;
    if (::close(fd) != 0)
      throw_environment(fmt::format("cannot write: {}", std::strerror(errno)), path);
    return r;
  }

 private:
  static void uuid_unparse(const uint8_t* b, char* out) {
    auto s = fmt::format(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:"
        "02x}{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
        b[14], b[15]);
    std::memcpy(out, s.c_str(), 37);
  }

  uint64_t alloc_block() {
    blk64_t b = 0;
    if (ext2fs_find_first_zero_block_bitmap2(fs_->block_map, cursor_,
                                             ext2fs_blocks_count(fs_->super) - 1, &b))
      throw NoSpace{};
    ext2fs_block_alloc_stats2(fs_, b, +1);
    cursor_ = b + 1;
    return b;
  }

  // File data planned in phase 1 is gathered in chunks of kChunkBlocks blocks (the last one
  // shorter): written out at once (without a sink) or kept for phase 3 (with one, up to
  // kArenaBudget), and hashed for the UUID while the next chunk is read. Each chunk has its
  // own digest, BLAKE2b-512 over (logical block number, block) for its blocks in plan order,
  // so the two hashing threads take alternate chunks; the content hash is SHA-256 over the
  // chunk digests in order. Chunk boundaries depend only on the plan, so the UUID is the same
  // with or without a sink and whatever the timing.
  struct FreeBuf {
    void operator()(char* p) const { std::free(p); }
  };
  // Aligned for transparent huge pages: kept chunks are fresh memory, and a 4 KiB page fault
  // per block written into them was a tenth of the writer thread's time.
  static std::unique_ptr<char, FreeBuf> chunk_buffer() {
    constexpr size_t kHuge = 2u << 20;
    auto* p = static_cast<char*>(std::aligned_alloc(kHuge, kWriteChunk));
    if (!p) throw std::bad_alloc();
    ::madvise(p, kWriteChunk, MADV_HUGEPAGE);  // advice only: failure is harmless
    return std::unique_ptr<char, FreeBuf>(p);
  }
  struct Chunk {
    std::unique_ptr<char, FreeBuf> buf = chunk_buffer();
    size_t blocks = 0;
    std::vector<uint64_t> lblks;                      // per block, for the content hash
    std::vector<std::pair<uint64_t, uint64_t>> runs;  // where it goes: (first block, count)
    bool kept = false;
    size_t hasher = 0;    // which of hashers_ hashes it
    uint64_t ticket = 0;  // and its task there
  };

  void start_chunk() {
    if (sink_ && kept_bytes_ + kWriteChunk <= kArenaBudget) {
      cur_ = kept_.emplace_back(std::make_unique<Chunk>()).get();
      cur_->kept = true;
      kept_bytes_ += kWriteChunk;
      return;
    }
    auto& slot = ring_[ring_next_++ % kRingChunks];
    if (!slot)
      slot = std::make_unique<Chunk>();
    else
      hashers_[slot->hasher].wait(slot->ticket);  // hashed: the buffer can be reused
    cur_ = slot.get();
    cur_->blocks = 0;
    cur_->lblks.clear();
    cur_->runs.clear();
  }

  // Writes the chunk (without a sink) and queues its hashing.
  void submit_chunk() {
    if (!cur_ || cur_->blocks == 0) return;
    Chunk* c = cur_;
    cur_ = nullptr;
    if (!sink_) {
      const char* d = c->buf.get();
      for (const auto& [p, n] : c->runs) {
        pwrite_all(d, n * kBlockSize, p * kBlockSize);
        d += n * kBlockSize;
      }
    }
    auto* out = &chunk_digests_.emplace_back();  // deque: stays put as more are added
    c->hasher = (chunk_digests_.size() - 1) % std::size(hashers_);
    c->ticket = hashers_[c->hasher].post([c, out] {
      // BLAKE2b: about 2.3x SHA-256's speed where the CPU has no SHA instructions, and this
      // digest only names the content (the image's measurement is SHA-256 of its bytes).
      std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
      bool ok = ctx && EVP_DigestInit_ex2(ctx.get(), EVP_blake2b512(), nullptr) == 1;
      for (size_t i = 0; ok && i < c->blocks; ++i)
        ok = EVP_DigestUpdate(ctx.get(), le64_bytes(c->lblks[i]).data(), 8) == 1 &&
             EVP_DigestUpdate(ctx.get(), c->buf.get() + i * kBlockSize, kBlockSize) == 1;
      unsigned int len = 0;
      if (!ok || EVP_DigestFinal_ex(ctx.get(), out->data(), &len) != 1 || len != out->size())
        throw_environment("OpenSSL BLAKE2b failed");
    });
  }

  // Places one block of data for `lblk` of inode `ino`: allocates the next free block,
  // extends the inode's runs and the write pass's segments, copies the bytes into the chunk.
  void put_block(uint32_t ino, uint64_t lblk, const char* data) {
    Node& n = nodes_[ino];
    uint64_t p = alloc_block();
    if (cur_ && cur_->blocks == kChunkBlocks) submit_chunk();
    if (!cur_) start_chunk();
    char* dst = cur_->buf.get() + cur_->blocks * kBlockSize;
    std::memcpy(dst, data, kBlockSize);
    ++cur_->blocks;
    cur_->lblks.push_back(lblk);
    if (!cur_->runs.empty() && cur_->runs.back().first + cur_->runs.back().second == p)
      ++cur_->runs.back().second;
    else
      cur_->runs.emplace_back(p, 1);
    if (sink_) keep(ino, p, lblk, cur_->kept ? dst : nullptr);
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

  void pwrite_all(const char* d, size_t len, uint64_t off) {
    while (len) {
      ssize_t w = ::pwrite(out_fd_, d, len, static_cast<off_t>(off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw_environment(fmt::format("cannot write: {}", std::strerror(errno)), path_);
      d += w;
      len -= static_cast<size_t>(w);
      off += static_cast<uint64_t>(w);
    }
  }

  // With a sink the image must go out in block order, after the metadata is final: the data
  // block is kept in its chunk (`mem`, up to the budget) or re-read in the write pass.
  void keep(uint32_t ino, uint64_t p, uint64_t lblk, const char* mem) {
    if (!segs_.empty()) {
      Segment& s = segs_.back();
      if (s.ino == ino && s.pblk + s.len == p && s.lblk + s.len == lblk &&
          ((s.mem == nullptr && mem == nullptr) || (s.mem && mem == s.mem + s.len * kBlockSize)))
        ++s.len;
      else
        segs_.push_back({p, 1, ino, lblk, mem});
    } else {
      segs_.push_back({p, 1, ino, lblk, mem});
    }
  }

  // Writes the image to `fd` in block order: libext2fs's pages from memory, file data from
  // the kept chunks or the source, holes left unwritten; every byte goes to `sink` on the way.
  void emit_to(int fd, const std::string& path, uint64_t blocks, ImageSink* sink) {
    const auto pages = mem_.pages();
    if (sink) sink->begin(blocks * kBlockSize);
    std::vector<iovec> iov;
    uint64_t batch_start = 0, batch_bytes = 0;
    auto flush_batch = [&] {
      size_t i = 0;
      uint64_t off = batch_start * kBlockSize;
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
      iov.clear();
      batch_bytes = 0;
    };
    auto add = [&](uint64_t blk, const void* p, size_t bytes) {
      if (!iov.empty() && batch_start + batch_bytes / kBlockSize != blk) flush_batch();
      if (iov.empty()) batch_start = blk;
      iov.push_back({const_cast<void*>(p), bytes});
      batch_bytes += bytes;
      if (sink) sink->data(std::span(static_cast<const uint8_t*>(p), bytes));
      if (batch_bytes >= kWriteChunk) flush_batch();
    };
    size_t ip = 0, is = 0;
    uint64_t blk = 0;
    constexpr uint64_t kNone = ~uint64_t{0};
    while (blk < blocks) {
      uint64_t np = ip < pages.size() ? pages[ip].first : kNone;
      uint64_t ns = is < segs_.size() ? segs_[is].pblk : kNone;
      if (np < blk || ns < blk)
        throw_environment(fmt::format("internal: block {} written twice", std::min(np, ns)), path);
      if (np == blk) {
        const auto* page = reinterpret_cast<const char*>(pages[ip].second);
        if (all_zero(page, kBlockSize)) {
          flush_batch();  // an all-zero page stays a hole
          if (sink) sink->zeros(kBlockSize);
        } else {
          add(blk, page, kBlockSize);
        }
        ++ip;
        ++blk;
      } else if (ns == blk) {
        const Segment& sg = segs_[is++];
        if (np < sg.pblk + sg.len)
          throw_environment(fmt::format("internal: block {} written twice", np), path);
        if (sg.mem) {
          add(blk, sg.mem, sg.len * kBlockSize);
        } else {
          flush_batch();  // the read buffer is reused below
          read_segment(sg, [&](uint64_t b, const char* p, size_t bytes) {
            add(b, p, bytes);
            flush_batch();
            if (sink) sink->sync();  // done with the buffer before it is read into again
          });
        }
        blk += sg.len;
      } else {
        // A hole: nothing written, zeros hashed.
        uint64_t end = std::min({np, ns, blocks});
        flush_batch();
        if (sink) sink->zeros((end - blk) * kBlockSize);
        blk = end;
      }
    }
    flush_batch();
    if (sink) sink->sync();  // the pages and chunks are freed with the writer
  }

  // Where a regular file's bytes come from: its host file (opened here, closed on scope exit)
  // or the tree's spill file at the entry's offset (tar input); `what` names it in errors.
  struct ContentSource {
    int fd;
    uint64_t base;
    bool own = false;
    std::string what;
    ContentSource(const Entry& e, int spill_fd) : fd(spill_fd), base(e.content.spill_offset) {
      what = e.content.host_path.empty() ? "/" + e.path : e.content.host_path;
      if (e.content.host_path.empty()) return;
      fd = ::open(e.content.host_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        throw_environment(fmt::format("cannot open: {}", std::strerror(errno)),
                          e.content.host_path);
      base = 0;
      own = true;
    }
    ContentSource(const ContentSource&) = delete;
    ContentSource& operator=(const ContentSource&) = delete;
    ~ContentSource() {
      if (own) ::close(fd);
    }
  };

  // Reads a segment that was not kept in memory again from its source, in large reads, and
  // checks it still holds what was planned (the tree must not change during the build).
  template <typename F>
  void read_segment(const Segment& sg, F&& out) {
    const Entry& e = *nodes_[sg.ino].e;
    const ContentSource src(e, tree_.spill_fd());
    const int fd = src.fd;
    const uint64_t base = src.base;
    const std::string& what = src.what;
    {
      auto& buf = read_buf_;
      if (buf.size() < kWriteChunk) buf.resize(kWriteChunk);
      for (uint64_t done = 0; done < sg.len;) {
        uint64_t cnt = std::min<uint64_t>(sg.len - done, kWriteChunk / kBlockSize);
        uint64_t off = (sg.lblk + done) * kBlockSize;
        uint64_t avail = e.content.size > off ? e.content.size - off : 0;
        size_t len = static_cast<size_t>(std::min<uint64_t>(avail, cnt * kBlockSize));
        if (len <= (cnt - 1) * kBlockSize)
          throw_environment("file shrank while the image was being built", what);
        read_exact(fd, buf.data(), len, base + off, what);
        std::memset(buf.data() + len, 0, cnt * kBlockSize - len);
        for (uint64_t b = 0; b < cnt; ++b)
          if (all_zero(buf.data() + b * kBlockSize, kBlockSize))
            throw_environment("file changed while the image was being built", what);
        out(sg.pblk + done, buf.data(), cnt * kBlockSize);
        done += cnt;
      }
    }
  }

  void read_exact(int fd, char* buf, size_t len, uint64_t off, const std::string& what) {
    while (len) {
      ssize_t r = ::pread(fd, buf, len, static_cast<off_t>(off));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw_environment(fmt::format("cannot read: {}", std::strerror(errno)), what);
      if (r == 0) throw_environment("file shrank while the image was being built", what);
      buf += r;
      len -= static_cast<size_t>(r);
      off += static_cast<uint64_t>(r);
    }
  }

  void write_data(uint32_t ino, bool ext4) {
    Node& n = nodes_[ino];
    const Entry& e = *n.e;
    if (e.type == EntryType::kDirectory) {
      n.dir_blocks = build_dir_blocks(ino, n, ext4);
      if (n.dir_blocks.size() > 1) {
        // More than one block: index it, so lookups need no linear scan (and no e2fsck -D).
        n.dir_blocks = build_htree(ino, n, ext4, seed_);
        n.htree = true;
      }
      // Directory blocks are written in phase 2 (they carry checksums); reserve them now.
      for (uint64_t i = 0; i < n.dir_blocks.size(); ++i) {
        uint64_t p = alloc_block();
        if (!n.runs.empty() && n.runs.back().pblk + n.runs.back().len == p &&
            n.runs.back().len < kMaxExtentLen)
          ++n.runs.back().len;
        else
          n.runs.push_back({i, p, 1});
        ++n.data_blocks;
      }
      return;
    }
    if (e.type == EntryType::kSymlink && e.target.size() >= sizeof(ext2_inode::i_block)) {
      std::string blk(kBlockSize, '\0');
      std::memcpy(blk.data(), e.target.data(), e.target.size());
      uint64_t p = alloc_block();
      mem_.write(p * kBlockSize, kBlockSize, blk.data());
      n.runs.push_back({0, p, 1});
      ++n.data_blocks;
      return;
    }
    if (e.type != EntryType::kRegular || e.content.size == 0) return;
    const ContentSource src(e, tree_.spill_fd());
    const int fd = src.fd;
    const uint64_t base = src.base;
    const std::string& what = src.what;
    {
      // One buffer for all files (a fresh 1 MiB per file costs a memset each).
      auto& buf = read_buf_;
      if (buf.empty()) buf.resize(1u << 20);
      const uint64_t size = e.content.size;
      uint64_t off = 0;
      while (off < size) {
        // Skip the source's holes without reading them (SEEK_DATA); what is read is still
        // checked for zero blocks, so the image does not depend on how sparse the source was.
        // (Small files are just read: two lseeks cost more than reading them.)
        off_t data = -1;
        if (size > (256u << 10)) {
          data = ::lseek(fd, static_cast<off_t>(base + off), SEEK_DATA);
          if (data < 0 && errno == ENXIO) break;
        }
        uint64_t end = size;
        if (data >= 0) {
          off_t hole = ::lseek(fd, data, SEEK_HOLE);
          off = (static_cast<uint64_t>(data) - base) & ~uint64_t{kBlockSize - 1};
          if (hole >= 0)
            end = std::min<uint64_t>(size, (static_cast<uint64_t>(hole) - base + kBlockSize - 1) &
                                               ~uint64_t{kBlockSize - 1});
          if (off >= size) break;
        }
        for (; off < end; off += buf.size()) {
          size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - off));
          read_exact(fd, buf.data(), len, base + off, what);
          if (len % kBlockSize) std::memset(buf.data() + len, 0, kBlockSize - len % kBlockSize);
          for (size_t b = 0; b < len; b += kBlockSize) {
            // All-zero blocks become holes.
            if (all_zero(buf.data() + b, kBlockSize)) continue;
            put_block(ino, (off + b) / kBlockSize, buf.data() + b);
          }
        }
      }
    }
  }

  Digest metadata_hash() const {
    Hasher h(HashAlg::kSha256);
    h.update(std::string_view("integral-mkfs-v1"));
    auto num = [&](uint64_t v) {
      const auto le = le64_bytes(v);
      h.update(std::span<const uint8_t>(le));
    };
    auto str = [&](const std::string& s) {
      num(s.size());
      h.update(s);
    };
    num(static_cast<uint64_t>(opts_.kind));
    num(static_cast<uint64_t>(opts_.timestamp));
    num(opts_.size_bytes);
    str(opts_.label);
    for (uint32_t ino = EXT2_ROOT_INO; ino < nodes_.size(); ++ino) {
      const Node& n = nodes_[ino];
      if (!n.e) continue;
      num(ino);
      num(static_cast<uint64_t>(n.e->type));
      num(n.e->mode);
      num(n.e->uid);
      num(n.e->gid);
      num(n.e->major);
      num(n.e->minor);
      num(n.links);
      num(n.e->content.size);
      str(n.e->target);
      for (const auto& [k, v] : n.e->xattrs) {
        str(k);
        str(v);
      }
      for (const auto& d : n.dirents) {
        str(d.name);
        num(d.ino);
      }
    }
    return h.finish();
  }

  void derive_identity() {
    Hasher h(HashAlg::kSha256);
    h.update(meta_hash_.bytes());
    num_blocks_into(h);
    Hasher content(HashAlg::kSha256);
    for (const auto& d : chunk_digests_) content.update(std::span<const uint8_t>(d));
    h.update(content.finish().bytes());
    auto d = h.finish();
    auto* sb = fs_->super;
    auto b = d.bytes();
    std::memcpy(sb->s_uuid, b.data(), 16);
    sb->s_uuid[6] = static_cast<uint8_t>((sb->s_uuid[6] & 0x0f) | 0x80);  // RFC 9562 version 8
    sb->s_uuid[8] = static_cast<uint8_t>((sb->s_uuid[8] & 0x3f) | 0x80);
    if (opts_.uuid) std::memcpy(sb->s_uuid, opts_.uuid->data(), 16);
    ext2fs_init_csum_seed(fs_);
  }

  void num_blocks_into(Hasher& h) const {
    const auto le = le64_bytes(ext2fs_blocks_count(fs_->super));
    h.update(std::span<const uint8_t>(le));
  }

  void write_inode(uint32_t ino, bool ext4) {
    Node& n = nodes_[ino];
    const Entry& e = *n.e;
    ext2_inode_large in{};
    in.i_mode = static_cast<__u16>(mode_bits(e.type) | (e.mode & 07777));
    in.i_uid = static_cast<__u16>(e.uid & 0xffff);
    in.osd2.linux2.l_i_uid_high = static_cast<__u16>(e.uid >> 16);
    in.i_gid = static_cast<__u16>(e.gid & 0xffff);
    in.osd2.linux2.l_i_gid_high = static_cast<__u16>(e.gid >> 16);
    auto t = static_cast<__u32>(opts_.timestamp);
    in.i_atime = in.i_ctime = in.i_mtime = t;
    in.i_extra_isize = sizeof(ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
    in.i_crtime = t;
    in.i_links_count =
        static_cast<__u16>(n.links > 65000 && e.type == EntryType::kDirectory ? 1 : n.links);
    uint64_t size = 0;
    switch (e.type) {
      case EntryType::kRegular:
        size = e.content.size;
        break;
      case EntryType::kDirectory:
        size = uint64_t{n.dir_blocks.size()} * kBlockSize;
        break;
      case EntryType::kSymlink:
        size = e.target.size();
        break;
      default:
        break;
    }
    in.i_size = static_cast<__u32>(size);
    in.i_size_high = static_cast<__u32>(size >> 32);
    const bool fast_symlink = e.type == EntryType::kSymlink && n.runs.empty();
    if (fast_symlink) std::memcpy(in.i_block, e.target.data(), e.target.size());
    if (e.type == EntryType::kCharDev || e.type == EntryType::kBlockDev) {
      if (e.major < 256 && e.minor < 256) {
        in.i_block[0] = e.major * 256 + e.minor;
      } else {
        in.i_block[1] = (e.minor & 0xff) | (e.major << 8) | ((e.minor & ~0xffu) << 12);
      }
    }
    const bool has_blocks = e.type == EntryType::kRegular || e.type == EntryType::kDirectory ||
                            (e.type == EntryType::kSymlink && !fast_symlink);
    bool mapped_later = false;
    if (n.htree) in.i_flags |= EXT2_INDEX_FL;
    if (ext4 && has_blocks) {
      in.i_flags |= EXT4_EXTENTS_FL;
      auto* hdr = reinterpret_cast<ext3_extent_header*>(in.i_block);
      hdr->eh_magic = EXT3_EXT_MAGIC;
      hdr->eh_max = 4;
      if (n.runs.size() <= 4) {
        // Up to four extents fit in the inode itself: no extent blocks to plan.
        hdr->eh_entries = static_cast<__u16>(n.runs.size());
        auto* ex = reinterpret_cast<ext3_extent*>(hdr + 1);
        for (size_t i = 0; i < n.runs.size(); ++i) {
          ex[i].ee_block = static_cast<__u32>(n.runs[i].lblk);
          ex[i].ee_len = static_cast<__u16>(n.runs[i].len);
          ex[i].ee_start = static_cast<__u32>(n.runs[i].pblk);
          ex[i].ee_start_hi = static_cast<__u16>(n.runs[i].pblk >> 32);
        }
        check(ext2fs_iblk_set(fs_, reinterpret_cast<ext2_inode*>(&in), n.data_blocks), "i_blocks");
      } else {
        mapped_later = true;
      }
    } else if (has_blocks) {
      mapped_later = !n.runs.empty();
    }
    // xattrs that do not fit in the inode go to an EA block shared by every inode with the
    // same set, with a reference count (as the kernel does; libext2fs would give each inode
    // its own block).
    const bool shared_ea = wants_shared_block(e);
    if (shared_ea) {
      blk64_t b = shared_block_for(e);
      ext2fs_file_acl_block_set(fs_, reinterpret_cast<ext2_inode*>(&in), b);
      check(ext2fs_iblk_add_blocks(fs_, reinterpret_cast<ext2_inode*>(&in), 1), "i_blocks");
    }
    check(ext2fs_write_inode_full(fs_, ino, reinterpret_cast<ext2_inode*>(&in), sizeof(in)),
          "cannot write inode");
    ext2fs_inode_alloc_stats2(fs_, ino, +1, e.type == EntryType::kDirectory ? 1 : 0);
    if (mapped_later) {
      // Many extents (ext4) or indirect blocks (ext2/3): let libext2fs build the mapping
      // blocks, which it allocates after the data already placed.
      if (ext4) {
        ext2_extent_handle_t h = nullptr;
        check(ext2fs_extent_open2(fs_, ino, reinterpret_cast<ext2_inode*>(&in), &h), "extent tree");
        for (const auto& r : n.runs)
          for (uint64_t i = 0; i < r.len; ++i) {
            errcode_t err = ext2fs_extent_set_bmap(h, r.lblk + i, r.pblk + i, 0);
            if (err) ext2fs_extent_free(h);
            check(err, "extent tree");
          }
        ext2fs_extent_free(h);
      } else {
        std::vector<char> bb(kBlockSize * 3);
        for (const auto& r : n.runs)
          for (uint64_t i = 0; i < r.len; ++i) {
            blk64_t p = r.pblk + i;
            check(ext2fs_bmap2(fs_, ino, reinterpret_cast<ext2_inode*>(&in), bb.data(),
                               BMAP_SET | BMAP_ALLOC, r.lblk + i, nullptr, &p),
                  "block map");
          }
      }
      check(ext2fs_read_inode_full(fs_, ino, reinterpret_cast<ext2_inode*>(&in), sizeof(in)),
            "inode");
      check(ext2fs_iblk_add_blocks(fs_, reinterpret_cast<ext2_inode*>(&in), n.data_blocks),
            "i_blocks");
      check(ext2fs_write_inode_full(fs_, ino, reinterpret_cast<ext2_inode*>(&in), sizeof(in)),
            "inode");
    }
    if (e.type == EntryType::kDirectory) {
      uint64_t i = 0;
      for (const auto& r : n.runs)
        for (uint64_t k = 0; k < r.len; ++k, ++i)
          check(ext2fs_write_dir_block4(fs_, r.pblk + k, n.dir_blocks[i].data(), 0, ino),
                "directory block");
    }
    if (!e.xattrs.empty() && !shared_ea) {
      ext2_xattr_handle* h = nullptr;
      check(ext2fs_xattrs_open(fs_, ino, &h), "xattrs");
      errcode_t err = ext2fs_xattrs_read(h);
      for (auto it = e.xattrs.begin(); !err && it != e.xattrs.end(); ++it)
        err = ext2fs_xattr_set(h, it->first.c_str(), it->second.data(), it->second.size());
      if (err) {
        ext2fs_xattrs_close(&h);
        if (err == EXT2_ET_EA_NO_SPACE)
          throw_bad_input(
              fmt::format("'/{}': xattrs do not fit (one 4 KiB block per inode)", e.path));
        check(err, fmt::format("xattrs of '/{}'", e.path));
      }
      err = ext2fs_xattrs_close(&h);
      if (err == EXT2_ET_EA_NO_SPACE)
        throw_bad_input(
            fmt::format("'/{}': xattrs do not fit (one 4 KiB block per inode)", e.path));
      check(err, fmt::format("xattrs of '/{}'", e.path));
    }
  }

  // The on-disk name index and suffix of an xattr name; 0 when the prefix has no index that
  // this writer encodes itself (system.* such as POSIX ACLs: left to libext2fs).
  static std::pair<uint8_t, std::string_view> ea_index(std::string_view name) {
    static const std::pair<std::string_view, uint8_t> prefixes[] = {
        {"user.", 1}, {"trusted.", 4}, {"security.", 6}};
    for (const auto& [pre, idx] : prefixes)
      if (name.substr(0, pre.size()) == pre) return {idx, name.substr(pre.size())};
    return {0, name};
  }

  static size_t pad4(size_t n) { return (n + 3) & ~size_t{3}; }

  // True when the set is too big for the inode's extra space (256-byte inodes: 96 bytes after
  // the 32 extra bytes, less the 4-byte magic and the 4-byte end marker) but fits one block.
  static bool wants_shared_block(const Entry& e) {
    if (e.xattrs.empty()) return false;
    size_t in_inode = 8, in_block = sizeof(ext2_ext_attr_header) + 4;
    for (const auto& [k, v] : e.xattrs) {
      auto [idx, suffix] = ea_index(k);
      if (idx == 0 || suffix.empty() || suffix.size() > 255 || v.empty()) return false;
      in_inode += 16 + pad4(suffix.size()) + pad4(v.size());
      in_block += 16 + pad4(suffix.size()) + pad4(v.size());
    }
    return in_inode > kInodeSize - EXT2_GOOD_OLD_INODE_SIZE - 32 && in_block <= kBlockSize;
  }

  blk64_t shared_block_for(const Entry& e) {
    std::string key;
    for (const auto& [k, v] : e.xattrs) {
      key += k;
      key.push_back('\0');
      key += std::to_string(v.size());
      key.push_back('\0');
      key += v;
    }
    SharedEa*& cur = ea_current_[key];
    // The kernel stops sharing a block at 1024 references (EXT4_XATTR_REFCOUNT_MAX).
    if (!cur || cur->refs >= 1024) cur = &ea_all_.emplace_back(SharedEa{alloc_block(), 0, &e});
    ++cur->refs;
    return cur->block;
  }

  // One EA block per distinct set: header, entries sorted as the kernel sorts them (index,
  // name length, name), values packed from the end of the block; hashes and checksum by
  // libext2fs's own helpers.
  void write_shared_xattr_blocks() {
    std::vector<uint8_t> blk(kBlockSize);
    for (const SharedEa& ea : ea_all_) {
      const SharedEa* s = &ea;
      std::fill(blk.begin(), blk.end(), 0);
      struct Item {
        uint8_t idx;
        std::string_view suffix;
        const std::string* value;
      };
      std::vector<Item> items;
      for (const auto& [k, v] : s->entry->xattrs) {
        auto [idx, suffix] = ea_index(k);
        items.push_back({idx, suffix, &v});
      }
      std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (a.idx != b.idx) return a.idx < b.idx;
        if (a.suffix.size() != b.suffix.size()) return a.suffix.size() < b.suffix.size();
        return a.suffix < b.suffix;
      });
      auto* hdr = reinterpret_cast<ext2_ext_attr_header*>(blk.data());
      hdr->h_magic = EXT2_EXT_ATTR_MAGIC;
      hdr->h_refcount = s->refs;
      hdr->h_blocks = 1;
      size_t at = sizeof(ext2_ext_attr_header);
      size_t value_end = kBlockSize;
      for (const auto& it : items) {
        value_end -= pad4(it.value->size());
        auto* ent = reinterpret_cast<ext2_ext_attr_entry*>(blk.data() + at);
        ent->e_name_len = static_cast<uint8_t>(it.suffix.size());
        ent->e_name_index = it.idx;
        ent->e_value_offs = static_cast<uint16_t>(value_end);
        ent->e_value_size = static_cast<uint32_t>(it.value->size());
        std::memcpy(blk.data() + at + sizeof(ext2_ext_attr_entry), it.suffix.data(),
                    it.suffix.size());
        std::memcpy(blk.data() + value_end, it.value->data(), it.value->size());
        ent->e_hash = ext2fs_ext_attr_hash_entry(ent, blk.data() + value_end);
        at += sizeof(ext2_ext_attr_entry) + pad4(it.suffix.size());
      }
      ext2fs_ext_attr_block_rehash(hdr, reinterpret_cast<ext2_ext_attr_entry*>(blk.data() + at));
      check(ext2fs_write_ext_attr3(fs_, s->block, blk.data(), 0), "EA block");
    }
  }

  struct SharedEa {
    blk64_t block;
    uint32_t refs;
    const Entry* entry;
  };
  std::deque<SharedEa> ea_all_;  // in allocation order (stable addresses)
  std::unordered_map<std::string, SharedEa*> ea_current_;

  const Tree& tree_;
  const ExtOptions& opts_;
  std::vector<Node>& nodes_;
  MemImage mem_;
  ImageSink* sink_ = nullptr;
  std::string path_;
  int out_fd_ = -1;
  ext2_filsys fs_ = nullptr;
  blk64_t cursor_ = 0;
  std::vector<char> read_buf_;
  std::vector<Segment> segs_;
  std::vector<std::unique_ptr<Chunk>> kept_;  // chunks kept for phase 3 (with a sink)
  size_t kept_bytes_ = 0;
  std::array<std::unique_ptr<Chunk>, kRingChunks> ring_;  // reused chunks
  size_t ring_next_ = 0;
  Chunk* cur_ = nullptr;
  std::deque<std::array<uint8_t, 64>> chunk_digests_;  // BLAKE2b-512 of each chunk
  Digest meta_hash_;
  uint32_t seed_[4] = {};
  SerialWorker hashers_[2];  // last: their tasks use the members above
};

uint64_t estimate_blocks(const std::vector<Node>& nodes, const ExtOptions& opts, uint64_t inodes) {
  uint64_t content = 0;
  for (size_t ino = EXT2_ROOT_INO; ino < nodes.size(); ++ino) {
    const Node& n = nodes[ino];
    if (!n.e) continue;
    if (n.e->type == EntryType::kRegular) {
      uint64_t b = div_up(n.e->content.size, kBlockSize);
      content += b + (opts.kind == ExtKind::kExt4 ? 0 : b / 1000 + (b > 12 ? 2 : 0));
    } else if (n.e->type == EntryType::kDirectory) {
      size_t bytes = 24;
      for (const auto& d : n.dirents) bytes += rec_len_for(d.name.size());
      content += div_up(bytes, kBlockSize - 12) + (bytes > kBlockSize - 12 ? 3 : 1);
    } else if (n.e->type == EntryType::kSymlink && n.e->target.size() >= 60) {
      content += 1;
    }
    size_t xa = 0;
    for (const auto& [k, v] : n.e->xattrs) xa += k.size() + v.size() + 20;
    if (xa > 96) content += 1;
  }
  uint64_t itable = div_up(inodes * kInodeSize, kBlockSize);
  uint64_t total =
      static_cast<uint64_t>(static_cast<double>(content) * (1 + kSizeMargin)) + 256 + itable;
  uint64_t groups = div_up(total, 32768);
  total += groups * 4 + 64;
  if (opts.kind != ExtKind::kExt2) {
    total = std::max<uint64_t>(total, 4096);
    int j = ext2fs_default_journal_size(total);
    total += j > 0 ? static_cast<uint64_t>(j) : 1024;
  } else {
    total = std::max<uint64_t>(total, 512);
  }
  return total;
}

}  // namespace

ExtResult write_ext_image(const Tree& tree, const ExtOptions& opts, AtomicFile& out,
                          ImageSink* sink) {
  if (opts.timestamp <= 0 || opts.timestamp > 0xffffffffLL)
    throw_usage("the timestamp must be between 1 and 2^32-1 (libext2fs reads 0 as 'now')");
  Entry lost_found;
  lost_found.path = "lost+found";
  lost_found.type = EntryType::kDirectory;
  lost_found.mode = 0700;
  if (const Entry* lf = tree.find("lost+found"); lf && lf->type != EntryType::kDirectory)
    throw_bad_input("'/lost+found' must be a directory");
  const Entry& lf = tree.find("lost+found") ? *tree.find("lost+found") : lost_found;
  std::vector<Node> plan = Planner(tree).plan(lf);
  uint64_t used_inodes = plan.size() - 1;
  uint64_t inodes = std::max<uint64_t>(used_inodes + used_inodes / 20 + 32, 64);
  uint64_t blocks =
      opts.size_bytes ? opts.size_bytes / kBlockSize : estimate_blocks(plan, opts, inodes);
  if (blocks > (1ull << 32) - 1) throw_usage("image larger than 16 TiB");

  for (int attempt = 0;; ++attempt) {
    // Every attempt starts from an all-hole file of the planned size (a retry after NoSpace
    // must not see the previous attempt's bytes).
    if (::ftruncate(out.fd(), 0) != 0 ||
        ::ftruncate(out.fd(), static_cast<off_t>(blocks * kBlockSize)) != 0)
      throw_environment(fmt::format("cannot size the image: {}", std::strerror(errno)),
                        out.path().string());
    try {
      std::vector<Node> nodes = plan;
      Writer w(tree, opts, nodes);
      return w.build(out.temp_path(), blocks, inodes, sink);
    } catch (const NoSpace&) {
      if (opts.size_bytes)
        throw_bad_input(fmt::format("the tree does not fit in {} bytes", opts.size_bytes),
                        out.path().string());
      if (attempt >= 6) throw_environment("cannot size the image", out.path().string());
      blocks += blocks / 4 + 1024;
    }
  }
}

ExtResult write_ext_image(const Tree& tree, const ExtOptions& opts,
                          const std::filesystem::path& out, ImageSink* sink) {
  AtomicFile f(out);
  ExtResult r = write_ext_image(tree, opts, f, sink);
  f.commit();
  return r;
}

}  // namespace integral::image
