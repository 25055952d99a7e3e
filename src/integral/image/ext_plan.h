// The ext writer's plan: inode numbers for the tree and the image size when none is given.
#pragma once

#include <cstdint>
#include <vector>

#include "integral/image/ext_context.h"

namespace integral::image {

// Inode numbers in traversal order: a directory's children get consecutive numbers, then each
// subdirectory is numbered in turn. Root is 2, lost+found 11 (as mke2fs does); `lost_found`
// is the tree's own or the default one added when the tree has none. Indexed by inode number.
std::vector<Node> plan_inodes(const Tree& tree, const Entry& lost_found);

// Blocks for an image holding the plan with kSizeMargin to spare (a retry grows it if short).
uint64_t estimate_blocks(const std::vector<Node>& nodes, const ExtOptions& opts, uint64_t inodes);

}  // namespace integral::image
