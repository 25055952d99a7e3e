#include "integral/image/ext_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

namespace integral::image {
namespace {

// On-disk layouts (ext4 wiki "Directory Entries" / "Hash Tree Directories"; kernel
// fs/ext4/ext4.h): ext4_dir_entry_2 = inode u32, rec_len u16, name_len u8, file_type u8, name;
// dx_root = "." (12 bytes) + ".." (rec_len to the end of the block) + dx_root_info at 24
// (reserved u32, hash_version u8, info_length u8, indirect_levels u8, flags u8) + dx_countlimit
// at 32 (limit u16, count u16, block u32) + dx_entry (hash u32, block u32)...; a dx_node is a
// fake entry (inode 0, rec_len 4096) + dx_countlimit at 8; the metadata_csum tail is 12 bytes
// (inode 0, rec_len 12, name_len 0, file_type 0xde, crc32c u32).
uint32_t u32(const std::string& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, &b[at], 4);
  return v;
}
uint16_t u16(const std::string& b, size_t at) {
  uint16_t v;
  std::memcpy(&v, &b[at], 2);
  return v;
}
uint8_t u8(const std::string& b, size_t at) {
  return static_cast<uint8_t>(b[at]);
}

struct Ent {
  uint32_t ino;
  uint16_t rec_len;
  uint8_t type;
  std::string name;
  uint32_t at;
};

// The entries of a directory block, walking rec_len up to `cap` (which they must reach).
std::vector<Ent> walk(const std::string& blk, uint32_t cap) {
  std::vector<Ent> out;
  uint32_t at = 0;
  while (at < cap) {
    Ent e{u32(blk, at), u16(blk, at + 4), u8(blk, at + 7), blk.substr(at + 8, u8(blk, at + 6)), at};
    EXPECT_GE(e.rec_len, 8u + e.name.size()) << "at " << at;
    if (e.rec_len == 0) break;
    out.push_back(e);
    at += e.rec_len;
  }
  EXPECT_EQ(at, cap);
  return out;
}

void expect_csum_tail(const std::string& blk) {
  EXPECT_EQ(u32(blk, 4084), 0u);
  EXPECT_EQ(u16(blk, 4088), 12u);
  EXPECT_EQ(u8(blk, 4090), 0u);
  EXPECT_EQ(u8(blk, 4091), 0xde);
}

// The seed 00112233-4455-6677-8899-aabbccddeeff as libext2fs reads s_hash_seed (bytes in order).
void test_seed(uint32_t seed[4]) {
  const uint8_t bytes[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                             0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  std::memcpy(seed, bytes, 16);
}

std::pair<uint32_t, uint32_t> half_md4(const std::string& name, const uint32_t seed[4]) {
  ext2_dirhash_t h = 0, m = 0;
  EXPECT_EQ(ext2fs_dirhash2(EXT2_HASH_HALF_MD4_UNSIGNED, name.data(), static_cast<int>(name.size()),
                            nullptr, 0, seed, &h, &m),
            0);
  return {static_cast<uint32_t>(h), static_cast<uint32_t>(m)};
}

std::vector<Dirent> files(size_t n, const std::string& prefix, uint32_t first_ino) {
  std::vector<Dirent> d;
  for (size_t i = 0; i < n; ++i) {
    char num[24];  // room for any size_t: -Wformat-truncation under ASan's flags
    std::snprintf(num, sizeof(num), "%05zu", i);
    d.push_back({prefix + num, static_cast<uint32_t>(first_ino + i), EntryType::kRegular});
  }
  return d;
}

TEST(ExtDir, RecordLengthIsHeaderPlusNameRoundedToFour) {
  // 8-byte header + name, rounded up to a multiple of 4.
  EXPECT_EQ(rec_len_for(1), 12u);
  EXPECT_EQ(rec_len_for(4), 12u);
  EXPECT_EQ(rec_len_for(5), 16u);
  EXPECT_EQ(rec_len_for(255), 264u);
}

TEST(ExtDir, LinearBlockHoldsDotDotDotThenEntriesTheLastReachingTheEnd) {
  std::vector<Dirent> d = {{"a", 12, EntryType::kRegular},
                           {"bb", 13, EntryType::kDirectory},
                           {"lnk", 14, EntryType::kSymlink}};
  for (bool csum : {false, true}) {
    SCOPED_TRACE(csum);
    auto blocks = build_dir_blocks(20, 2, d, csum);
    ASSERT_EQ(blocks.size(), 1u);
    const std::string& b = blocks[0];
    ASSERT_EQ(b.size(), 4096u);
    const uint32_t cap = csum ? 4084 : 4096;
    auto e = walk(b, cap);
    ASSERT_EQ(e.size(), 5u);
    // "." at 0 and ".." at 12 (12 bytes each), "a" at 24, "bb" at 36, "lnk" at 48 to the end.
    EXPECT_EQ(std::make_tuple(e[0].ino, e[0].rec_len, e[0].name, e[0].type),
              std::make_tuple(20u, uint16_t{12}, std::string("."), uint8_t{2}));
    EXPECT_EQ(std::make_tuple(e[1].ino, e[1].rec_len, e[1].name, e[1].type),
              std::make_tuple(2u, uint16_t{12}, std::string(".."), uint8_t{2}));
    EXPECT_EQ(std::make_tuple(e[2].ino, e[2].at, e[2].rec_len, e[2].type),
              std::make_tuple(12u, 24u, uint16_t{12}, uint8_t{1}));  // EXT2_FT_REG_FILE 1
    EXPECT_EQ(std::make_tuple(e[3].ino, e[3].at, e[3].rec_len, e[3].type),
              std::make_tuple(13u, 36u, uint16_t{12}, uint8_t{2}));  // EXT2_FT_DIR 2
    EXPECT_EQ(std::make_tuple(e[4].ino, e[4].at, e[4].rec_len, e[4].type),
              std::make_tuple(14u, 48u, static_cast<uint16_t>(cap - 48), uint8_t{7}));  // SYMLINK 7
    if (csum) expect_csum_tail(b);
  }
}

TEST(ExtDir, LinearBlocksSplitWhereTheNextEntryDoesNotFit) {
  // 8-character names take 16 bytes: after "." and ".." (24 bytes), (4096 - 24) / 16 = 254.5,
  // so 254 fit in the first block and the 255th starts the second, at offset 0.
  auto d = files(255, "f-", 100);  // "f-00000": 7 characters, also 16 bytes
  auto blocks = build_dir_blocks(20, 2, d, false);
  ASSERT_EQ(blocks.size(), 2u);
  auto first = walk(blocks[0], 4096);
  ASSERT_EQ(first.size(), 256u);
  EXPECT_EQ(first.back().name, "f-00253");
  EXPECT_EQ(first.back().at, 24u + 253 * 16);
  EXPECT_EQ(first.back().rec_len, 4096u - (24u + 253u * 16u));  // 24: stretched to the end
  auto second = walk(blocks[1], 4096);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].name, "f-00254");
  EXPECT_EQ(second[0].rec_len, 4096u);
}

TEST(ExtDir, HalfMd4MatchesDebugfs) {
  // The hashes the htree tests below rely on, from e2fsprogs 1.47's debugfs:
  //   debugfs -R "dx_hash -h half_md4 -s 00112233-4455-6677-8899-aabbccddeeff NAME" any.img
  uint32_t seed[4];
  test_seed(seed);
  EXPECT_EQ(half_md4("hello", seed), std::make_pair(0x344ca36eu, 0x2ef16de2u));
  EXPECT_EQ(half_md4("file-00000", seed), std::make_pair(0xa7a98560u, 0x11d13ff4u));
  EXPECT_EQ(half_md4("file-00001", seed), std::make_pair(0xdafe4ef2u, 0xe6ea86bfu));
}

// Checks leaves [first, end) of an htree: every entry once, in (hash, minor) order, each leaf
// full to its end; returns each leaf's first hash.
std::vector<uint32_t> check_leaves(const std::vector<std::string>& blocks, size_t first,
                                   const std::vector<Dirent>& d, const uint32_t seed[4],
                                   bool csum) {
  std::map<std::string, uint32_t> want;
  for (const auto& x : d) want[x.name] = x.ino;
  std::vector<uint32_t> starts;
  std::pair<uint32_t, uint32_t> prev{0, 0};
  size_t seen = 0;
  for (size_t i = first; i < blocks.size(); ++i) {
    auto ents = walk(blocks[i], csum ? 4084 : 4096);
    if (csum) expect_csum_tail(blocks[i]);
    EXPECT_FALSE(ents.empty());
    for (size_t k = 0; k < ents.size(); ++k) {
      auto h = half_md4(ents[k].name, seed);
      if (k == 0) starts.push_back(h.first);
      EXPECT_LE(prev, h) << ents[k].name;
      prev = h;
      auto it = want.find(ents[k].name);
      EXPECT_TRUE(it != want.end() && it->second == ents[k].ino) << ents[k].name;
      ++seen;
    }
  }
  EXPECT_EQ(seen, d.size());
  return starts;
}

TEST(ExtDir, HtreeOneLevelRootIndexesLeavesInHashOrder) {
  uint32_t seed[4];
  test_seed(seed);
  // 600 names of 10 characters (20 bytes each): 204 per 4084-byte leaf, so 3 leaves.
  auto d = files(600, "file-", 12);
  auto blocks = build_htree(20, 2, d, true, seed, "big");
  ASSERT_EQ(blocks.size(), 4u);  // root + 3 leaves
  const std::string& root = blocks[0];
  EXPECT_EQ(std::make_tuple(u32(root, 0), u16(root, 4), u8(root, 6), root[8]),
            std::make_tuple(20u, uint16_t{12}, uint8_t{1}, '.'));
  EXPECT_EQ(std::make_tuple(u32(root, 12), u16(root, 16), u8(root, 18), root.substr(20, 2)),
            std::make_tuple(2u, uint16_t{4096 - 12}, uint8_t{2}, std::string("..")));
  // dx_root_info: half-MD4 (1), 8 bytes, one level.
  EXPECT_EQ(std::make_tuple(u32(root, 24), u8(root, 28), u8(root, 29), u8(root, 30)),
            std::make_tuple(0u, uint8_t{1}, uint8_t{8}, uint8_t{0}));
  // limit (4096 - 32 - 8 for the dx_tail) / 8 = 507, count 3, leaf blocks 1, 2, 3.
  EXPECT_EQ(u16(root, 32), 507u);
  ASSERT_EQ(u16(root, 34), 3u);
  EXPECT_EQ(u32(root, 36), 1u);
  auto starts = check_leaves(blocks, 1, d, seed, true);
  ASSERT_EQ(starts.size(), 3u);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(u32(root, 32 + 8 * i), starts[i]) << i;  // the leaf's first hash
    EXPECT_EQ(u32(root, 32 + 8 * i + 4), 1 + i) << i;
  }
  // Without metadata_csum the root has room for one more entry.
  auto plain = build_htree(20, 2, d, false, seed, "big");
  EXPECT_EQ(u16(plain[0], 32), 508u);
  check_leaves(plain, 1, d, seed, false);
}

TEST(ExtDir, HtreeTwoLevelsPastWhatTheRootCanIndex) {
  uint32_t seed[4];
  test_seed(seed);
  // Names of 250 characters take 260 bytes: 15 per leaf; 7700 entries need 514 leaves, more
  // than the root's 507, so index nodes (limit (4096 - 8 - 8) / 8 = 510) come between:
  // ceil(514 / 510) = 2 nodes, leaves numbered from 1 + 2 = 3.
  auto d = files(7700, std::string(245, 'n'), 12);
  auto blocks = build_htree(20, 2, d, true, seed, "big");
  ASSERT_EQ(blocks.size(), 1u + 2 + 514);
  const std::string& root = blocks[0];
  EXPECT_EQ(u8(root, 30), 1u);  // indirect_levels
  EXPECT_EQ(u16(root, 32), 507u);
  ASSERT_EQ(u16(root, 34), 2u);
  EXPECT_EQ(u32(root, 36), 1u);
  EXPECT_EQ(u32(root, 44), 2u);
  auto starts = check_leaves(blocks, 3, d, seed, true);
  ASSERT_EQ(starts.size(), 514u);
  for (size_t j = 0; j < 2; ++j) {
    const std::string& node = blocks[1 + j];
    EXPECT_EQ(std::make_tuple(u32(node, 0), u16(node, 4)), std::make_tuple(0u, uint16_t{4096}));
    EXPECT_EQ(u16(node, 8), 510u);
    const size_t count = j == 0 ? 510 : 4;
    ASSERT_EQ(u16(node, 10), count);
    EXPECT_EQ(u32(node, 12), 3 + 510 * j);  // its first leaf
    for (size_t i = 1; i < count; ++i) {
      EXPECT_EQ(u32(node, 8 + 8 * i), starts[510 * j + i]) << j << "/" << i;
      EXPECT_EQ(u32(node, 8 + 8 * i + 4), 3 + 510 * j + i) << j << "/" << i;
    }
  }
  // The root's second entry: the second node, keyed by its first leaf's hash.
  EXPECT_EQ(u32(root, 40), starts[510]);
}

}  // namespace
}  // namespace integral::image
