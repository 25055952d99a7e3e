// The ext image's identity: the directory hash seed from the metadata alone (it orders htree
// leaves, so it must be known before the directories are built) and the UUID from everything
// (metadata, size and content), unless the options fix them.
#pragma once

#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/image/ext_context.h"

namespace integral::image {

// SHA-256 over the options that shape the image and every planned inode's metadata and
// directory entries (integers little-endian, strings with their length).
Digest metadata_hash(const ExtOptions& opts, const std::vector<Node>& nodes);

// Sets the superblock's hash seed (and b.seed) from the options or b.meta_hash.
void set_hash_seed(ExtBuild& b);

// Sets the superblock's UUID from the options or from the metadata hash, the block count and
// the content hash (an RFC 9562 version 8 UUID), then the checksum seed that depends on it.
void set_uuid(ExtBuild& b, const Digest& content);

// The UUID as text (8-4-4-4-12 lower-case hex).
std::string uuid_text(const uint8_t* b);

}  // namespace integral::image
