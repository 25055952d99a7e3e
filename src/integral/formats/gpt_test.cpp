#include "integral/formats/gpt.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"

namespace integral {
namespace {

using testing::put32;

uint32_t crc(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), p, static_cast<uInt>(n)));
}

// A 64-block disk of 512-byte blocks: header at LBA 1 (HeaderSize 92), 4 entries of 128 bytes
// at LBA 2; entries 0 and 2 used (type GUID bytes 0x11.. and 0x33..), 1 and 3 empty.
Bytes make_disk() {
  Bytes d(64 * 512, 0);
  uint8_t* h = d.data() + 512;
  std::memcpy(h, "EFI PART", 8);
  put32(d, 512 + 8, 0x00010000);
  put32(d, 512 + 12, 92);
  d[512 + 24] = 1;                // MyLBA
  d[512 + 32] = 63;               // AlternateLBA
  d[512 + 40] = 34;               // FirstUsableLBA
  d[512 + 48] = 62;               // LastUsableLBA
  std::memset(h + 56, 0xdd, 16);  // DiskGUID
  d[512 + 72] = 2;                // PartitionEntryLBA
  put32(d, 512 + 80, 4);
  put32(d, 512 + 84, 128);
  std::memset(d.data() + 1024, 0x11, 16);
  std::memset(d.data() + 1024 + 16, 0xa1, 112);
  std::memset(d.data() + 1024 + 256, 0x33, 16);
  std::memset(d.data() + 1024 + 256 + 16, 0xa3, 112);
  put32(d, 512 + 88, crc(d.data() + 1024, 4 * 128));
  put32(d, 512 + 16, crc(h, 92));
  return d;
}

TEST(Gpt, EventIsHeaderCountAndTheUsedEntries) {
  const Bytes d = make_disk();
  const GptData g = efi_gpt_data(d, "disk.img");
  EXPECT_EQ(g.partitions, 2u);
  ASSERT_EQ(g.event.size(), 92u + 8 + 2 * 128);
  EXPECT_EQ(std::memcmp(g.event.data(), d.data() + 512, 92), 0);  // CRC field as stored
  EXPECT_EQ(g.event[92], 2);
  for (int i = 93; i < 100; ++i) EXPECT_EQ(g.event[i], 0);
  EXPECT_EQ(std::memcmp(g.event.data() + 100, d.data() + 1024, 128), 0);
  EXPECT_EQ(std::memcmp(g.event.data() + 228, d.data() + 1024 + 256, 128), 0);
}

TEST(Gpt, RefusesWhatFirmwareWouldNotTrust) {
  auto expect_error = [](const Bytes& d, const char* what) {
    try {
      efi_gpt_data(d, "disk.img");
      ADD_FAILURE() << "accepted: " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  Bytes d = make_disk();
  d[512] = 'X';
  expect_error(d, "no 'EFI PART' signature");
  d = make_disk();
  d[1024 + 20] ^= 1;
  expect_error(d, "entry array CRC32");
  d = make_disk();
  d[512 + 60] ^= 1;
  expect_error(d, "header CRC32");
  d = make_disk();
  put32(d, 512 + 80, 0x01000000);  // 16M entries: far beyond the image (CRC fixed up)
  put32(d, 512 + 16, 0);
  put32(d, 512 + 16, crc(d.data() + 512, 92));
  expect_error(d, "partition entry array");
  d = make_disk();
  d.resize(600);
  expect_error(d, "primary GPT header");
}

}  // namespace
}  // namespace integral
