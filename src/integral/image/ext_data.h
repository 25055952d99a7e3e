// File data of the ext writer: placing blocks in inode order (chunked, hashed for the UUID,
// kept in memory or written at once) and the final write of the image in block order.
#pragma once

#include <cstdint>

#include "integral/crypto/digest.h"
#include "integral/image/ext_context.h"

namespace integral::image {

// The data pass: in inode order, reserves directory blocks (written with the inodes), writes
// long symlink targets into the memory image and places regular files' non-zero blocks;
// returns when every chunk is hashed.
void place_data(ExtBuild& b);

// SHA-256 over the chunk digests in order: the content's part of the UUID.
Digest content_hash(const ExtBuild& b);

// The emit pass, after the file system is closed: writes the image (`blocks` blocks) to the
// output in block order (libext2fs's pages from memory, file data from the kept chunks or the
// source, holes left unwritten), feeding every byte to the sink on the way.
void emit_image(ExtBuild& b, uint64_t blocks);

}  // namespace integral::image
