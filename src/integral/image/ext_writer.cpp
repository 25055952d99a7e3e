#include "integral/image/ext_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "integral/image/ext_context.h"
#include "integral/image/ext_data.h"
#include "integral/image/ext_dir.h"
#include "integral/image/ext_identity.h"
#include "integral/image/ext_inode.h"
#include "integral/image/ext_plan.h"

namespace integral::image {

namespace {

// The error being unwound is the one to report.
void sync_quietly(ImageSink& sink) noexcept {
  try {
    sink.sync();
  } catch (...) {
  }
}

// The file system's parameters: 4 KiB blocks, 256-byte inodes, the features of each kind.
ext2_super_block fs_params(const ExtBuild& b, uint64_t blocks, uint64_t inodes) {
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
  if (b.ext4) {
    param.s_feature_ro_compat |=
        EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
        EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
    param.s_feature_incompat |=
        EXT3_FEATURE_INCOMPAT_EXTENTS | EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG;
    param.s_log_groups_per_flex = 4;
    param.s_desc_size = EXT2_MIN_DESC_SIZE_64BIT;
    param.s_min_extra_isize = param.s_want_extra_isize = 32;
  }
  return param;
}

// The layout pass: opens the output, lets libext2fs lay out the file system into the memory
// image, fixes the superblock's reproducible fields and allocates the group tables.
void lay_out(ExtBuild& b, uint64_t blocks, uint64_t inodes) {
  ext2_super_block param = fs_params(b, blocks, inodes);
  // Read too: with a sink, phase 3 maps it.
  b.out.reset(::open(b.path.c_str(), O_RDWR | O_CLOEXEC));
  if (b.out.get() < 0)
    throw_environment(fmt::format("cannot open: {}", std::strerror(errno)), b.path);
  b.mem.attach_next_open();
  check(ext2fs_initialize(b.path.c_str(), EXT2_FLAG_64BITS, &param, b.mem.manager(), b.fs.out()),
        "cannot lay out the file system");
  auto* sb = b.fs->super;
  const ExtOptions& opts = b.opts;
  b.fs->now = static_cast<time_t>(opts.timestamp);
  sb->s_mkfs_time = sb->s_lastcheck = sb->s_wtime = static_cast<uint32_t>(opts.timestamp);
  sb->s_max_mnt_count = static_cast<__s16>(-1);
  sb->s_creator_os = EXT2_OS_LINUX;
  sb->s_errors = EXT2_ERRORS_CONTINUE;
  sb->s_def_hash_version = EXT2_HASH_HALF_MD4;
  // Unsigned hashing whatever the build host's char signedness.
  sb->s_flags = (sb->s_flags & ~EXT2_FLAGS_SIGNED_HASH) | EXT2_FLAGS_UNSIGNED_HASH;
  if (b.ext4) sb->s_checksum_type = EXT2_CRC32C_CHKSUM;
  std::memset(sb->s_volume_name, 0, sizeof(sb->s_volume_name));
  std::memcpy(sb->s_volume_name, opts.label.data(),
              std::min(opts.label.size(), sizeof(sb->s_volume_name)));
  // Placeholders until the content is known (nothing checksummed is written before then).
  std::memset(sb->s_uuid, 0, 16);
  std::memset(sb->s_hash_seed, 0, 16);
  check(ext2fs_allocate_tables(b.fs.get()), "cannot allocate group tables");
  if (ext2fs_has_group_desc_csum(b.fs.get())) {
    // The image starts as a hole: inode tables are already zero.
    for (dgrp_t g = 0; g < b.fs->group_desc_count; ++g)
      ext2fs_bg_flags_set(
          b.fs.get(), g, static_cast<__u16>(ext2fs_bg_flags(b.fs.get(), g) | EXT2_BG_INODE_ZEROED));
  }
  if (b.nodes.size() - 1 > sb->s_inodes_count) throw NoSpace{};
}

void add_journal(ExtBuild& b) {
  ext2fs_journal_params jp{};
  check(ext2fs_get_journal_params(&jp, b.fs.get()), "journal size");
  check(ext2fs_add_journal_inode3(b.fs.get(), &jp, ~0ULL,
                                  EXT2_MKJOURNAL_NO_MNT_CHECK | EXT2_MKJOURNAL_LAZYINIT),
        "cannot create the journal");
}

ExtResult result_of(const ExtBuild& b) {
  auto* sb = b.fs->super;
  ExtResult r;
  r.block_size = kBlockSize;
  r.blocks = ext2fs_blocks_count(sb);
  r.size_bytes = r.blocks * kBlockSize;
  r.free_blocks = ext2fs_free_blocks_count(sb);
  r.inodes = sb->s_inodes_count;
  r.used_inodes = sb->s_inodes_count - sb->s_free_inodes_count;
  r.uuid = uuid_text(sb->s_uuid);
  return r;
}

// One attempt at the image, as a list of passes over one ExtBuild. Throws NoSpace when
// `blocks` is too few.
ExtResult build(const Tree& tree, const ExtOptions& opts, std::vector<Node>& nodes,
                const std::string& path, uint64_t blocks, uint64_t inodes, ImageSink* sink) {
  ExtBuild b(tree, opts, nodes);
  b.sink = sink;
  b.path = path;
  lay_out(b, blocks, inodes);
  set_hash_seed(b);              // from the metadata alone: it orders htree leaves
  build_directories(b);          // directory blocks in memory (htrees hashed with the seed)
  place_data(b);                 // phase 1: data placed in inode order, read once, hashed
  set_uuid(b, content_hash(b));  // phase 2: the identity covers everything, then metadata
  if (b.journal) add_journal(b);
  write_reserved_inodes(b);
  write_inodes(b);
  write_shared_xattr_blocks(b);
  ExtResult r = result_of(b);
  // Every name of a regular file: hard links share their target's digest.
  if (opts.file_digests)
    for (const auto& [name, e] : tree.entries()) {
      if (e.type != EntryType::kRegular) continue;
      auto it = b.file_sha256.find(e.link_to.empty() ? name : e.link_to);
      if (it != b.file_sha256.end()) r.file_sha256.emplace("/" + name, it->second);
    }
  check(b.fs.close(), "cannot write the file system");
  // Phase 3: the image, once, in block order (without a sink: the metadata; the data is
  // already written).
  emit_image(b, r.blocks);
  if (const int err = b.out.close(); err != 0)
    throw_environment(fmt::format("cannot write: {}", std::strerror(err)), path);
  return r;
}

}  // namespace

ExtBuild::ExtBuild(const Tree& t, const ExtOptions& o, std::vector<Node>& n)
    : tree(t),
      opts(o),
      nodes(n),
      ext4(o.kind == ExtKind::kExt4),
      journal(o.kind != ExtKind::kExt2),
      meta_hash(metadata_hash(o, n)) {}

ExtBuild::~ExtBuild() {
  // On an error the sink may still be hashing bytes this build owns.
  if (sink) sync_quietly(*sink);
}

ExtResult write_ext_image(const Tree& tree, const ExtOptions& opts, AtomicFile& out,
                          ImageSink* sink) {
  if (opts.timestamp <= 0 || opts.timestamp > 0xffffffffLL)
    throw_usage("the timestamp must be between 1 and 2^32-1 (libext2fs reads 0 as 'now')");
  const Entry lost_found = default_lost_found();
  if (const Entry* lf = tree.find("lost+found"); lf && lf->type != EntryType::kDirectory)
    throw_bad_input("'/lost+found' must be a directory");
  const Entry& lf = tree.find("lost+found") ? *tree.find("lost+found") : lost_found;
  std::vector<Node> plan = plan_inodes(tree, lf);
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
      return build(tree, opts, nodes, out.temp_path(), blocks, inodes, sink);
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
