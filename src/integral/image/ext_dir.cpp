#include "integral/image/ext_dir.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace integral::image {

namespace {

// Writes one directory entry at `at` in a zero-filled block.
void put_dirent(std::string& blk, uint32_t at, const Dirent& d, uint32_t rec_len) {
  uint16_t rl16 = static_cast<uint16_t>(rec_len);
  std::memcpy(&blk[at], &d.ino, 4);
  std::memcpy(&blk[at + 4], &rl16, 2);
  blk[at + 6] = static_cast<char>(d.name.size());
  blk[at + 7] = static_cast<char>(dirent_file_type(d.type));
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

uint32_t usable(bool csum) {
  return kBlockSize - (csum ? 12u : 0u);
}

struct Hashed {
  uint32_t hash, minor;
  const Dirent* d;
};

// The entries in htree order: by hash, then minor hash, then name.
std::vector<Hashed> hash_order(const std::vector<Dirent>& dirents, const uint32_t seed[4]) {
  std::vector<Hashed> hs;
  hs.reserve(dirents.size());
  for (const auto& d : dirents) {
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
  return hs;
}

struct Leaves {
  std::vector<std::string> blocks;
  std::vector<uint32_t> start_hash;  // the index key of each leaf (the first 0)
};

// Packs the hashed entries into leaf blocks, in order.
Leaves pack_leaves(const std::vector<Hashed>& hs, bool csum) {
  const uint32_t cap = usable(csum);
  Leaves out;
  uint32_t prev_last = 0;
  std::string cur;
  uint32_t used = 0, last = 0;
  auto finish = [&] {
    close_dir_block(cur, last, cap, csum);
    out.blocks.push_back(std::move(cur));
  };
  for (size_t i = 0; i < hs.size(); ++i) {
    const Dirent& d = *hs[i].d;
    uint32_t rl = rec_len_for(d.name.size());
    if (out.blocks.empty() && cur.empty()) {
      cur.assign(kBlockSize, '\0');
      out.start_hash.push_back(0);
    } else if (used + rl > cap) {
      finish();
      cur.assign(kBlockSize, '\0');
      used = 0;
      // The low bit marks a hash run continued from the previous leaf.
      out.start_hash.push_back(hs[i].hash == prev_last ? hs[i].hash | 1 : hs[i].hash);
    }
    last = used;
    put_dirent(cur, used, d, rl);
    used += rl;
    prev_last = hs[i].hash;
  }
  finish();
  return out;
}

// Writes an index's limit and count at `at`, then its (hash, block) entries (the first
// entry's hash is implied: its slot holds the count).
void put_dx_entries(std::string& blk, size_t at, uint32_t limit,
                    const std::vector<std::pair<uint32_t, uint32_t>>& ents) {
  uint16_t lim = static_cast<uint16_t>(limit), cnt = static_cast<uint16_t>(ents.size());
  std::memcpy(&blk[at], &lim, 2);
  std::memcpy(&blk[at + 2], &cnt, 2);
  std::memcpy(&blk[at + 4], &ents[0].second, 4);
  for (size_t i = 1; i < ents.size(); ++i) {
    std::memcpy(&blk[at + 8 * i], &ents[i].first, 4);
    std::memcpy(&blk[at + 8 * i + 4], &ents[i].second, 4);
  }
}

// The dx root block without its index entries: "." and "..", then dx_root_info.
std::string dx_root(uint32_t ino, uint32_t parent, bool two_levels) {
  std::string root(kBlockSize, '\0');
  uint16_t rl = 12;
  std::memcpy(&root[0], &ino, 4);
  std::memcpy(&root[4], &rl, 2);
  root[6] = 1;
  root[7] = EXT2_FT_DIR;
  root[8] = '.';
  rl = static_cast<uint16_t>(kBlockSize - 12);
  std::memcpy(&root[12], &parent, 4);
  std::memcpy(&root[16], &rl, 2);
  root[18] = 2;
  root[19] = EXT2_FT_DIR;
  root[20] = root[21] = '.';
  root[24 + 4] = EXT2_HASH_HALF_MD4;  // with the unsigned flag in the superblock
  root[24 + 5] = 8;                   // info_length
  root[24 + 6] = two_levels ? 1 : 0;  // indirect_levels
  return root;
}

}  // namespace

uint8_t dirent_file_type(EntryType t) {
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

uint32_t rec_len_for(size_t name_len) {
  return static_cast<uint32_t>((8 + name_len + 3) & ~size_t{3});
}

std::vector<std::string> build_dir_blocks(uint32_t ino, uint32_t parent,
                                          const std::vector<Dirent>& dirents, bool csum) {
  std::vector<Dirent> all;
  all.push_back({".", ino, EntryType::kDirectory});
  all.push_back({"..", parent, EntryType::kDirectory});
  all.insert(all.end(), dirents.begin(), dirents.end());
  const uint32_t cap = usable(csum);
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

// Layout as in the kernel's fs/ext4/namei.c and e2fsck's rehash; e2fsck checks it.
std::vector<std::string> build_htree(uint32_t ino, uint32_t parent,
                                     const std::vector<Dirent>& dirents, bool csum,
                                     const uint32_t seed[4], const std::string& path) {
  Leaves leaves = pack_leaves(hash_order(dirents, seed), csum);
  const uint32_t root_limit = (kBlockSize - 32 - (csum ? 8 : 0)) / 8;
  const uint32_t node_limit = (kBlockSize - 8 - (csum ? 8 : 0)) / 8;
  const size_t nleaves = leaves.blocks.size();
  const bool two_levels = nleaves > root_limit;
  const size_t nnodes = two_levels ? div_up(nleaves, node_limit) : 0;
  if (nnodes > root_limit)
    throw_bad_input(fmt::format("directory '/{}' has too many entries for two htree levels", path));
  std::vector<std::string> blocks;
  blocks.push_back(dx_root(ino, parent, two_levels));
  if (!two_levels) {
    std::vector<std::pair<uint32_t, uint32_t>> ents;
    for (size_t i = 0; i < nleaves; ++i)
      ents.emplace_back(leaves.start_hash[i], static_cast<uint32_t>(1 + i));
    put_dx_entries(blocks[0], 32, root_limit, ents);
  } else {
    std::vector<std::pair<uint32_t, uint32_t>> rents;
    for (size_t j = 0; j < nnodes; ++j) {
      std::string node(kBlockSize, '\0');
      uint16_t nrl = static_cast<uint16_t>(kBlockSize);
      std::memcpy(&node[4], &nrl, 2);  // a fake empty entry over the whole block
      std::vector<std::pair<uint32_t, uint32_t>> ents;
      for (size_t i = j * node_limit; i < std::min(nleaves, (j + 1) * node_limit); ++i)
        ents.emplace_back(leaves.start_hash[i], static_cast<uint32_t>(1 + nnodes + i));
      rents.emplace_back(ents[0].first, static_cast<uint32_t>(1 + j));
      put_dx_entries(node, 8, node_limit, ents);
      blocks.push_back(std::move(node));
    }
    put_dx_entries(blocks[0], 32, root_limit, rents);
  }
  for (auto& l : leaves.blocks) blocks.push_back(std::move(l));
  return blocks;
}

void build_directories(ExtBuild& b) {
  for_each_planned_inode(b.nodes, [&](uint32_t ino) {
    Node& n = b.nodes[ino];
    if (n.e->type != EntryType::kDirectory) return;
    n.dir_blocks = build_dir_blocks(ino, n.parent, n.dirents, b.ext4);
    if (n.dir_blocks.size() > 1) {
      // More than one block: index it, so lookups need no linear scan (and no e2fsck -D).
      n.dir_blocks = build_htree(ino, n.parent, n.dirents, b.ext4, b.seed, n.e->path);
      n.htree = true;
    }
  });
}

}  // namespace integral::image
