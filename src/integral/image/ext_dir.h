// Directory blocks of the ext writer, built in memory: linear blocks ("." "..", then the
// entries in plan order) or, past one block, a hash-indexed (htree) directory. Pure functions
// of the entries (and the hash seed); the checksum tails are filled by libext2fs on writing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "integral/image/ext_context.h"

namespace integral::image {

// The on-disk file type of a directory entry (EXT2_FT_*).
uint8_t dirent_file_type(EntryType t);

// The record length of an entry with a name of `name_len` bytes (8-byte header, 4-aligned).
uint32_t rec_len_for(size_t name_len);

// Linear directory blocks of directory `ino` whose parent is `parent`; with `csum`
// (metadata_csum) each block ends in a 12-byte checksum tail.
std::vector<std::string> build_dir_blocks(uint32_t ino, uint32_t parent,
                                          const std::vector<Dirent>& dirents, bool csum);

// An htree directory: block 0 is the dx root ("." and ".." plus the index), then index nodes
// when one level is not enough, then leaves holding the entries in (hash, minor hash, name)
// order, hashed with half-MD4 (unsigned) and `seed`. `path` names the directory in errors.
std::vector<std::string> build_htree(uint32_t ino, uint32_t parent,
                                     const std::vector<Dirent>& dirents, bool csum,
                                     const uint32_t seed[4], const std::string& path);

// The directories pass: every directory's blocks (an htree past one block) into its node.
void build_directories(ExtBuild& b);

}  // namespace integral::image
