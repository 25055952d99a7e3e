#include "integral/image/ext_inode.h"

#include <ext2fs/ext3_extents.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace integral::image {

namespace {

// libext2fs takes the large inode through its small prefix.
ext2_inode* as_inode(ext2_inode_large& in) {
  return reinterpret_cast<ext2_inode*>(&in);
}

using ExtentHandle = Ext2Handle<ext2_extent_handle_t, ext2fs_extent_free>;

void free_xattrs(ext2_xattr_handle* h) {
  ext2fs_xattrs_close(&h);
}
using XattrHandle = Ext2Handle<ext2_xattr_handle*, free_xattrs, ext2fs_xattrs_close>;

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

// The on-disk name index and suffix of an xattr name; 0 when the prefix has no index that
// this writer encodes itself (system.* such as POSIX ACLs: left to libext2fs).
std::pair<uint8_t, std::string_view> ea_index(std::string_view name) {
  static const std::pair<std::string_view, uint8_t> prefixes[] = {
      {"user.", 1}, {"trusted.", 4}, {"security.", 6}};
  for (const auto& [pre, idx] : prefixes)
    if (name.substr(0, pre.size()) == pre) return {idx, name.substr(pre.size())};
  return {0, name};
}

size_t pad4(size_t n) {
  return (n + 3) & ~size_t{3};
}

// True when the set is too big for the inode's extra space (256-byte inodes: 96 bytes after
// the 32 extra bytes, less the 4-byte magic and the 4-byte end marker) but fits one block.
bool wants_shared_block(const Entry& e) {
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

// xattrs that do not fit in the inode go to an EA block shared by every inode with the same
// set, with a reference count (as the kernel does; libext2fs would give each inode its own
// block).
blk64_t shared_block_for(ExtBuild& b, const Entry& e) {
  std::string key;
  for (const auto& [k, v] : e.xattrs) {
    key += k;
    key.push_back('\0');
    key += std::to_string(v.size());
    key.push_back('\0');
    key += v;
  }
  SharedEa*& cur = b.ea_current[key];
  // The kernel stops sharing a block at 1024 references (EXT4_XATTR_REFCOUNT_MAX).
  if (!cur || cur->refs >= 1024) cur = &b.ea_all.emplace_back(SharedEa{b.alloc_block(), 0, &e});
  ++cur->refs;
  return cur->block;
}

// The inode's own fields: type and mode, owner, times, links, size, a fast symlink's target
// or a device number.
ext2_inode_large inode_fields(const ExtBuild& b, const Node& n) {
  const Entry& e = *n.e;
  ext2_inode_large in{};
  in.i_mode = static_cast<__u16>(mode_bits(e.type) | (e.mode & 07777));
  in.i_uid = static_cast<__u16>(e.uid & 0xffff);
  in.osd2.linux2.l_i_uid_high = static_cast<__u16>(e.uid >> 16);
  in.i_gid = static_cast<__u16>(e.gid & 0xffff);
  in.osd2.linux2.l_i_gid_high = static_cast<__u16>(e.gid >> 16);
  auto t = static_cast<__u32>(b.opts.timestamp);
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
  if (e.type == EntryType::kSymlink && n.runs.empty())
    std::memcpy(in.i_block, e.target.data(), e.target.size());  // a fast symlink
  if (e.type == EntryType::kCharDev || e.type == EntryType::kBlockDev) {
    if (e.major < 256 && e.minor < 256) {
      in.i_block[0] = e.major * 256 + e.minor;
    } else {
      in.i_block[1] = (e.minor & 0xff) | (e.major << 8) | ((e.minor & ~0xffu) << 12);
    }
  }
  return in;
}

// Maps the inode's runs when they fit in the inode (up to four extents); returns true when
// libext2fs must build mapping blocks after the inode is written (map_later).
bool map_in_inode(ExtBuild& b, const Node& n, ext2_inode_large& in) {
  const Entry& e = *n.e;
  const bool fast_symlink = e.type == EntryType::kSymlink && n.runs.empty();
  const bool has_blocks = e.type == EntryType::kRegular || e.type == EntryType::kDirectory ||
                          (e.type == EntryType::kSymlink && !fast_symlink);
  if (!has_blocks) return false;
  if (!b.ext4) return !n.runs.empty();
  in.i_flags |= EXT4_EXTENTS_FL;
  auto* hdr = reinterpret_cast<ext3_extent_header*>(in.i_block);
  hdr->eh_magic = EXT3_EXT_MAGIC;
  hdr->eh_max = 4;
  if (n.runs.size() > 4) return true;
  // Up to four extents fit in the inode itself: no extent blocks to plan.
  hdr->eh_entries = static_cast<__u16>(n.runs.size());
  auto* ex = reinterpret_cast<ext3_extent*>(hdr + 1);
  for (size_t i = 0; i < n.runs.size(); ++i) {
    ex[i].ee_block = static_cast<__u32>(n.runs[i].lblk);
    ex[i].ee_len = static_cast<__u16>(n.runs[i].len);
    ex[i].ee_start = static_cast<__u32>(n.runs[i].pblk);
    ex[i].ee_start_hi = static_cast<__u16>(n.runs[i].pblk >> 32);
  }
  check(ext2fs_iblk_set(b.fs.get(), as_inode(in), n.data_blocks), "i_blocks");
  return false;
}

// Many extents (ext4) or indirect blocks (ext2/3): libext2fs builds the mapping blocks, which
// it allocates after the data already placed; then the inode's block count is completed.
void map_later(ExtBuild& b, uint32_t ino, const Node& n, ext2_inode_large& in) {
  ext2_filsys fs = b.fs.get();
  if (b.ext4) {
    ExtentHandle h;
    check(ext2fs_extent_open2(fs, ino, as_inode(in), h.out()), "extent tree");
    for (const auto& r : n.runs)
      for (uint64_t i = 0; i < r.len; ++i)
        check(ext2fs_extent_set_bmap(h.get(), r.lblk + i, r.pblk + i, 0), "extent tree");
  } else {
    std::vector<char> bb(kBlockSize * 3);
    for (const auto& r : n.runs)
      for (uint64_t i = 0; i < r.len; ++i) {
        blk64_t p = r.pblk + i;
        check(ext2fs_bmap2(fs, ino, as_inode(in), bb.data(), BMAP_SET | BMAP_ALLOC, r.lblk + i,
                           nullptr, &p),
              "block map");
      }
  }
  check(ext2fs_read_inode_full(fs, ino, as_inode(in), sizeof(in)), "inode");
  check(ext2fs_iblk_add_blocks(fs, as_inode(in), n.data_blocks), "i_blocks");
  check(ext2fs_write_inode_full(fs, ino, as_inode(in), sizeof(in)), "inode");
}

// xattrs kept in the inode (or in a block of its own), written by libext2fs.
void write_own_xattrs(ExtBuild& b, uint32_t ino, const Entry& e) {
  XattrHandle h;
  check(ext2fs_xattrs_open(b.fs.get(), ino, h.out()), "xattrs");
  errcode_t err = ext2fs_xattrs_read(h.get());
  for (auto it = e.xattrs.begin(); !err && it != e.xattrs.end(); ++it)
    err = ext2fs_xattr_set(h.get(), it->first.c_str(), it->second.data(), it->second.size());
  if (!err) err = h.close();  // after an error the handle is closed on unwinding
  if (err == EXT2_ET_EA_NO_SPACE)
    throw_bad_input(fmt::format("'/{}': xattrs do not fit (one 4 KiB block per inode)", e.path));
  check(err, fmt::format("xattrs of '/{}'", e.path));
}

void write_inode(ExtBuild& b, uint32_t ino) {
  Node& n = b.nodes[ino];
  const Entry& e = *n.e;
  ext2_filsys fs = b.fs.get();
  ext2_inode_large in = inode_fields(b, n);
  if (n.htree) in.i_flags |= EXT2_INDEX_FL;
  const bool mapped_later = map_in_inode(b, n, in);
  const bool shared_ea = wants_shared_block(e);
  if (shared_ea) {
    ext2fs_file_acl_block_set(fs, as_inode(in), shared_block_for(b, e));
    check(ext2fs_iblk_add_blocks(fs, as_inode(in), 1), "i_blocks");
  }
  check(ext2fs_write_inode_full(fs, ino, as_inode(in), sizeof(in)), "cannot write inode");
  ext2fs_inode_alloc_stats2(fs, ino, +1, e.type == EntryType::kDirectory ? 1 : 0);
  if (mapped_later) map_later(b, ino, n, in);
  if (e.type == EntryType::kDirectory) {
    uint64_t i = 0;
    for (const auto& r : n.runs)
      for (uint64_t k = 0; k < r.len; ++k, ++i)
        check(ext2fs_write_dir_block4(fs, r.pblk + k, n.dir_blocks[i].data(), 0, ino),
              "directory block");
  }
  if (!e.xattrs.empty() && !shared_ea) write_own_xattrs(b, ino, e);
}

}  // namespace

void write_reserved_inodes(ExtBuild& b) {
  ext2_filsys fs = b.fs.get();
  std::vector<char> zero(kInodeSize, 0);
  for (ext2_ino_t i = 1; i < EXT2_FIRST_INO(fs->super); ++i) {
    if (i == EXT2_ROOT_INO) continue;
    if (!(b.journal && i == EXT2_JOURNAL_INO))
      check(ext2fs_write_inode_full(fs, i, reinterpret_cast<ext2_inode*>(zero.data()), kInodeSize),
            "reserved inode");
    ext2fs_inode_alloc_stats2(fs, i, +1, 0);
  }
  check(ext2fs_update_bb_inode(fs, nullptr), "bad block inode");
}

void write_inodes(ExtBuild& b) {
  for_each_planned_inode(b.nodes, [&](uint32_t ino) { write_inode(b, ino); });
}

// Header, entries sorted as the kernel sorts them (index, name length, name), values packed
// from the end of the block; hashes and checksum by libext2fs's own helpers.
void write_shared_xattr_blocks(ExtBuild& b) {
  std::vector<uint8_t> blk(kBlockSize);
  for (const SharedEa& s : b.ea_all) {
    std::fill(blk.begin(), blk.end(), 0);
    struct Item {
      uint8_t idx;
      std::string_view suffix;
      const std::string* value;
    };
    std::vector<Item> items;
    for (const auto& [k, v] : s.entry->xattrs) {
      auto [idx, suffix] = ea_index(k);
      items.push_back({idx, suffix, &v});
    }
    std::sort(items.begin(), items.end(), [](const Item& x, const Item& y) {
      if (x.idx != y.idx) return x.idx < y.idx;
      if (x.suffix.size() != y.suffix.size()) return x.suffix.size() < y.suffix.size();
      return x.suffix < y.suffix;
    });
    auto* hdr = reinterpret_cast<ext2_ext_attr_header*>(blk.data());
    hdr->h_magic = EXT2_EXT_ATTR_MAGIC;
    hdr->h_refcount = s.refs;
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
    check(ext2fs_write_ext_attr3(b.fs.get(), s.block, blk.data(), 0), "EA block");
  }
}

}  // namespace integral::image
