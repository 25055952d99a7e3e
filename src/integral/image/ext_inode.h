// Inodes of the ext writer: the reserved inodes, every planned inode with its block mapping,
// directory blocks and xattrs, and the EA blocks shared by inodes with the same large xattr set.
#pragma once

#include "integral/image/ext_context.h"

namespace integral::image {

// Zeroed reserved inodes 1..first_ino-1 (not root, not the journal's), marked in use, and the
// bad block inode.
void write_reserved_inodes(ExtBuild& b);

// Every planned inode, in order (allocating any mapping and shared EA blocks after the data).
void write_inodes(ExtBuild& b);

// One EA block per distinct shared set (after write_inodes counted its references).
void write_shared_xattr_blocks(ExtBuild& b);

}  // namespace integral::image
