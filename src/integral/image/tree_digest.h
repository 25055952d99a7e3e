// The content address of a Tree: one SHA-256 over everything an image is made of (every
// entry's path, type, permission bits, owner, device numbers, link target, hard-link target,
// xattrs including SELinux labels, and the bytes of every regular file), in the tree's sorted
// order. Two trees with the same digest give the same image for the same options, so
// `integral build` keys its image cache by it; the host's timestamps, inode numbers and
// directory order do not enter (the image does not carry them either).
#pragma once

#include "integral/crypto/digest.h"
#include "integral/image/tree.h"

namespace integral::image {

Digest tree_digest(const Tree& tree);

}  // namespace integral::image
