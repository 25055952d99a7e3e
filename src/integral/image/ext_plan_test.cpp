#include "integral/image/ext_plan.h"

#include <gtest/gtest.h>

#include <tuple>

namespace integral::image {
namespace {

Entry entry(const std::string& path, EntryType type, uint64_t size = 0) {
  Entry e;
  e.path = path;
  e.type = type;
  e.mode = 0644;
  e.content.size = size;
  return e;
}

Entry default_lost_found() {
  Entry lf = entry("lost+found", EntryType::kDirectory);
  lf.mode = 0700;
  return lf;
}

std::vector<std::tuple<std::string, uint32_t, EntryType>> dirents(const Node& n) {
  std::vector<std::tuple<std::string, uint32_t, EntryType>> out;
  for (const auto& d : n.dirents) out.emplace_back(d.name, d.ino, d.type);
  return out;
}

TEST(ExtPlan, InodesInTraversalOrderWithHardLinksSharingOne) {
  Tree t;
  t.add(entry("a", EntryType::kDirectory), "test");
  t.add(entry("b", EntryType::kRegular, 10), "test");
  Entry c = entry("c", EntryType::kRegular);
  c.link_to = "b";
  t.add(c, "test");
  t.add(entry("d", EntryType::kSymlink), "test");
  t.add(entry("m", EntryType::kRegular), "test");
  t.add(entry("a/x", EntryType::kRegular), "test");
  t.add(entry("a/y", EntryType::kDirectory), "test");
  const Entry lf = default_lost_found();
  std::vector<Node> n = plan_inodes(t, lf);
  // Derivation: root is 2 and lost+found 11 (as mke2fs); the root's names in byte order
  // a b c d lost+found m take 12, 13, 13 (c is b's hard link), 14, (11), 15; then the
  // subdirectories in that order: a's x and y take 16 and 17, lost+found and y are empty.
  ASSERT_EQ(n.size(), 18u);
  using T = EntryType;
  EXPECT_EQ(dirents(n[2]), (decltype(dirents(n[2])){{"a", 12, T::kDirectory},
                                                    {"b", 13, T::kRegular},
                                                    {"c", 13, T::kRegular},
                                                    {"d", 14, T::kSymlink},
                                                    {"lost+found", 11, T::kDirectory},
                                                    {"m", 15, T::kRegular}}));
  EXPECT_EQ(dirents(n[12]),
            (decltype(dirents(n[12])){{"x", 16, T::kRegular}, {"y", 17, T::kDirectory}}));
  EXPECT_TRUE(n[11].dirents.empty());
  EXPECT_EQ(n[2].e, &t.root());
  EXPECT_EQ(n[11].e, &lf);
  EXPECT_EQ(n[13].e, t.find("b"));  // the first name's metadata
  EXPECT_EQ(n[17].e, t.find("a/y"));
  for (uint32_t ino = 3; ino < 11; ++ino) EXPECT_EQ(n[ino].e, nullptr) << ino;  // reserved
  // Links: a directory has 2 plus one per subdirectory; a file one per name.
  EXPECT_EQ(n[2].links, 4u);   // a, lost+found
  EXPECT_EQ(n[12].links, 3u);  // y
  EXPECT_EQ(n[11].links, 2u);
  EXPECT_EQ(n[13].links, 2u);  // b and c
  EXPECT_EQ(n[14].links, 1u);
  EXPECT_EQ(n[17].links, 2u);
  EXPECT_EQ(std::make_tuple(n[2].parent, n[12].parent, n[11].parent, n[17].parent),
            std::make_tuple(2u, 2u, 2u, 12u));
}

TEST(ExtPlan, TheTreesOwnLostFoundKeepsInode11AndItsChildrenFollowInTurn) {
  Tree t;
  t.add(entry("lost+found", EntryType::kDirectory), "test");
  t.add(entry("lost+found/f", EntryType::kRegular), "test");
  t.add(entry("z", EntryType::kDirectory), "test");
  t.add(entry("z/g", EntryType::kRegular), "test");
  std::vector<Node> n = plan_inodes(t, *t.find("lost+found"));
  // Root: lost+found (11), z (12); then lost+found's f (13), then z's g (14).
  ASSERT_EQ(n.size(), 15u);
  EXPECT_EQ(n[11].e, t.find("lost+found"));
  EXPECT_EQ(dirents(n[11]), (decltype(dirents(n[11])){{"f", 13, EntryType::kRegular}}));
  EXPECT_EQ(dirents(n[12]), (decltype(dirents(n[12])){{"g", 14, EntryType::kRegular}}));
}

TEST(ExtPlan, EstimateCountsContentMarginTablesAndJournal) {
  Tree t;
  t.add(entry("f", EntryType::kRegular, 1280 * 4096), "test");
  const Entry lf = default_lost_found();
  std::vector<Node> n = plan_inodes(t, lf);
  ExtOptions o;
  o.kind = ExtKind::kExt2;
  // Content: the root's block (24 + "f" 12 + "lost+found" 20 bytes, < 4084: 1 block, +1),
  // lost+found's (24 bytes: 1 + 1), the file's 1280 blocks + 1280 / 1000 + 2 indirect
  // (ext2/3) = 1287 blocks. 1287 * 1.05 = 1351 (rounded down) + 256 + 64 inodes * 256 / 4096
  // = 4 table blocks = 1611; one group: + 4 + 64 = 1679 (over ext2's floor of 512).
  EXPECT_EQ(estimate_blocks(n, o, 64), 1679u);
  // ext4 (extents: no indirect blocks): 1284 * 1.05 = 1348 + 260 = 1608 + 68 = 1676, raised to
  // the 4096-block floor, plus the journal e2fsprogs's ext2fs_default_journal_size gives a
  // file system of under 32768 blocks: 1024 (lib/ext2fs/mkjournal.c).
  o.kind = ExtKind::kExt4;
  EXPECT_EQ(estimate_blocks(n, o, 64), 4096u + 1024u);
}

}  // namespace
}  // namespace integral::image
