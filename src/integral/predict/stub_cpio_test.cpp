#include "integral/predict/stub_cpio.h"

#include <gtest/gtest.h>

#include <string>

namespace integral {
namespace {

TEST(StubCpio, LiteralArchiveLayout) {
  const std::string data = "{\"a\":1}";  // 7 bytes: padded with one NUL
  const Bytes b = stub_literal_cpio(".extra", "x.json",
                                    {reinterpret_cast<const uint8_t*>(data.data()), data.size()});
  const std::string s(b.begin(), b.end());
  // Directory: 110-byte header, ".extra\0" (7), padded to 120.
  // magic, inode 1, mode 040555, uid, gid, nlink 1, mtime, size, 4 device numbers, name size
  // 7, check
  EXPECT_EQ(s.substr(0, 6 + 8 * 13), std::string("070701") + "00000001" + "0000416d" + "00000000" +
                                         "00000000" + "00000001" + "00000000" + "00000000" +
                                         "00000000" + "00000000" + "00000000" + "00000000" +
                                         "00000007" + "00000000");
  EXPECT_EQ(s.substr(110, 10), std::string(".extra\0\0\0\0\0", 10));
  // File: inode 2, mode 0100444 = 0x8124, size 7, name ".extra/x.json\0" (14): 124 -> 124.
  EXPECT_EQ(s.substr(120, 6 + 8 * 7),
            "07070100000002000081240000000000000000000000010000000000000007");
  EXPECT_EQ(s.substr(120 + 94, 8), "0000000e");
  EXPECT_EQ(s.substr(120 + 110, 14), std::string(".extra/x.json\0", 14));
  EXPECT_EQ(s.substr(244, 8), std::string("{\"a\":1}\0", 8));
  // Trailer: 110 + "TRAILER!!!" + 4 NULs = 124 bytes, name size 0x0B.
  EXPECT_EQ(s.substr(252, 6), "070701");
  EXPECT_EQ(s.substr(252 + 94, 8), "0000000B");
  EXPECT_EQ(s.substr(252 + 110), std::string("TRAILER!!!\0\0\0\0", 14));
  EXPECT_EQ(b.size(), 120u + 124 + 8 + 124);
}

}  // namespace
}  // namespace integral
