#include "integral/image/ext_identity.h"

#include <cstring>

namespace integral::image {

Digest metadata_hash(const ExtOptions& opts, const std::vector<Node>& nodes) {
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
  num(static_cast<uint64_t>(opts.kind));
  num(static_cast<uint64_t>(opts.timestamp));
  num(opts.size_bytes);
  str(opts.label);
  for (uint32_t ino = EXT2_ROOT_INO; ino < nodes.size(); ++ino) {
    const Node& n = nodes[ino];
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

void set_hash_seed(ExtBuild& b) {
  auto* sb = b.fs->super;
  auto bytes = b.meta_hash.bytes();
  if (b.opts.hash_seed)
    std::memcpy(sb->s_hash_seed, b.opts.hash_seed->data(), 16);
  else
    std::memcpy(sb->s_hash_seed, bytes.data() + 16, 16);
  std::memcpy(b.seed, sb->s_hash_seed, 16);
}

void set_uuid(ExtBuild& b, const Digest& content) {
  Hasher h(HashAlg::kSha256);
  h.update(b.meta_hash.bytes());
  const auto blocks = le64_bytes(ext2fs_blocks_count(b.fs->super));
  h.update(std::span<const uint8_t>(blocks));
  h.update(content.bytes());
  auto d = h.finish();
  auto* sb = b.fs->super;
  auto bytes = d.bytes();
  std::memcpy(sb->s_uuid, bytes.data(), 16);
  sb->s_uuid[6] = static_cast<uint8_t>((sb->s_uuid[6] & 0x0f) | 0x80);  // RFC 9562 version 8
  sb->s_uuid[8] = static_cast<uint8_t>((sb->s_uuid[8] & 0x3f) | 0x80);
  if (b.opts.uuid) std::memcpy(sb->s_uuid, b.opts.uuid->data(), 16);
  ext2fs_init_csum_seed(b.fs.get());
}

std::string uuid_text(const uint8_t* b) {
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:"
      "02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

}  // namespace integral::image
