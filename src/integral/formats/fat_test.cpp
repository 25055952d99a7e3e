#include "integral/formats/fat.h"

#include <gtest/gtest.h>

#include <cstring>

#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"

namespace integral {
namespace {

using testing::put16;
using testing::put32;

// A FAT12 volume laid out by hand: 64 sectors of 512 bytes, one per cluster; sector 0 the boot
// sector (1 reserved sector), sector 1 the one FAT, sector 2 the root directory (16 entries),
// clusters from sector 3 on (61 clusters: FAT12). Root: GRUB.CFG (600 bytes, clusters 2 -> 3) and
// the folder FONTS (cluster 4), which holds A.TXT (3 bytes, cluster 5).
Bytes make_volume() {
  Bytes v(64 * 512, 0);
  v[0] = 0xeb;
  put16(v, 11, 512);  // BytesPerSector
  v[13] = 1;          // SectorsPerCluster
  put16(v, 14, 1);    // ReservedSectors
  v[16] = 1;          // NumberOfFATs
  put16(v, 17, 16);   // RootEntries
  put16(v, 19, 64);   // TotalSectors16
  v[21] = 0xf8;
  put16(v, 22, 1);  // SectorsPerFAT16
  // FAT12, 12 bits an entry: 0 = F8 media, 1 = FFF, 2 -> 3, 3 = EOC, 4 = EOC, 5 = EOC
  const uint8_t fat[] = {0xf8, 0xff, 0xff, 0x03, 0xf0, 0xff, 0xff, 0xff, 0xff};
  std::memcpy(v.data() + 512, fat, sizeof fat);
  auto entry = [&](size_t at, const char* name11, uint8_t attr, uint16_t cluster, uint32_t size) {
    std::memcpy(v.data() + at, name11, 11);
    v[at + 11] = attr;
    put16(v, at + 26, cluster);
    put32(v, at + 28, size);
  };
  entry(1024, "ESP        ", 0x08, 0, 0);  // volume label: skipped
  entry(1024 + 32, "GRUB    CFG", 0x20, 2, 600);
  entry(1024 + 64, "FONTS      ", 0x10, 4, 0);
  const size_t data = 3 * 512;
  for (size_t i = 0; i < 1024; ++i) v[data + i] = static_cast<uint8_t>('a' + i % 26);
  entry(data + 2 * 512, "A       TXT", 0x20, 5, 3);
  std::memcpy(v.data() + data + 3 * 512, "xyz", 3);
  return v;
}

TEST(Fat, ReadsFilesByShortNameAcrossClusters) {
  const Bytes v = make_volume();
  auto cfg = fat_read_file(v, "/grub.cfg", "md");
  ASSERT_TRUE(cfg);
  ASSERT_EQ(cfg->size(), 600u);
  EXPECT_EQ((*cfg)[0], 'a');
  EXPECT_EQ((*cfg)[599], static_cast<uint8_t>('a' + 599 % 26));  // from the second cluster
  auto a = fat_read_file(v, "/FONTS/a.txt", "md");
  ASSERT_TRUE(a);
  EXPECT_EQ(std::string(a->begin(), a->end()), "xyz");
  EXPECT_FALSE(fat_read_file(v, "/nope.cfg", "md"));
  EXPECT_FALSE(fat_read_file(v, "/fonts", "md"));                 // a folder, not a file
  EXPECT_FALSE(fat_read_file(v, "/grub.cfg/x", "md"));            // a file, not a folder
  EXPECT_FALSE(fat_read_file(v, "/a-long-file-name.cfg", "md"));  // no such short name
}

TEST(Fat, RefusesChainsOutsideTheVolume) {
  Bytes v = make_volume();
  // entry 2 -> 0xff0 (cluster 4080, beyond the 61 clusters): the low byte at 3, the high
  // nibble in the low half of byte 4 (entry 3, EOC, keeps the high half)
  v[512 + 3] = 0xf0;
  v[512 + 4] = 0xff;
  try {
    (void)fat_read_file(v, "/grub.cfg", "md");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), "md");
    EXPECT_NE(e.message().find("outside the volume"), std::string::npos) << e.message();
  }
}

TEST(Fat, RefusesABootSectorThatDoesNotFit) {
  Bytes v = make_volume();
  put16(v, 19, 65);  // one sector more than the image holds
  EXPECT_THROW((void)fat_read_file(v, "/grub.cfg", "md"), Error);
  Bytes w = make_volume();
  put16(w, 11, 500);  // not a power of two
  EXPECT_THROW((void)fat_read_file(w, "/grub.cfg", "md"), Error);
  EXPECT_THROW((void)fat_read_file(Bytes(100, 0), "/grub.cfg", "md"), Error);
}

}  // namespace
}  // namespace integral
