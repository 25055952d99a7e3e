#include "integral/image/ext2fs_mem_io.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace integral::image {
namespace {

TEST(MemImage, UnwrittenBytesReadAsZeroAndWritesSpanPages) {
  MemImage m;
  std::vector<uint8_t> data(6000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);
  m.write(3000, data.size(), data.data());  // pages 0, 1 and 2
  std::vector<uint8_t> back(9000, 0xAA);
  m.read(0, back.size(), back.data());
  for (size_t i = 0; i < 3000; ++i) ASSERT_EQ(back[i], 0) << i;
  EXPECT_EQ(0, std::memcmp(back.data() + 3000, data.data(), data.size()));
  auto pages = m.pages();
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0].first, 0u);
  EXPECT_EQ(pages[2].first, 2u);
}

// libext2fs lays out and closes a file system into memory: the superblock magic 0xEF53 sits
// at byte 1024 + 56 (the ext2 on-disk format), and the file system reopens from the pages.
TEST(MemImage, HoldsAFileSystemLibext2fsWrites) {
  MemImage m;
  ext2_super_block param{};
  ext2fs_blocks_count_set(&param, 2048);
  param.s_log_block_size = 2;
  ext2_filsys fs = nullptr;
  m.attach_next_open();
  ASSERT_EQ(ext2fs_initialize("mem", EXT2_FLAG_64BITS, &param, m.manager(), &fs), 0);
  ASSERT_EQ(ext2fs_allocate_tables(fs), 0);
  ASSERT_EQ(ext2fs_close_free(&fs), 0);
  uint8_t magic[2] = {};
  m.read(1024 + 56, 2, magic);
  EXPECT_EQ(magic[0], 0x53);
  EXPECT_EQ(magic[1], 0xEF);
  m.attach_next_open();
  ASSERT_EQ(ext2fs_open("mem", 0, 0, 0, m.manager(), &fs), 0);
  EXPECT_EQ(ext2fs_blocks_count(fs->super), 2048u);
  ext2fs_close_free(&fs);
}

}  // namespace
}  // namespace integral::image
