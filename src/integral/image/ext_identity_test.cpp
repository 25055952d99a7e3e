#include "integral/image/ext_identity.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace integral::image {
namespace {

TEST(ExtIdentity, UuidTextIsLowerCaseHexInFiveGroups) {
  const uint8_t b[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                         0x08, 0x09, 0x0a, 0x0b, 0xcc, 0xdd, 0xee, 0xff};
  EXPECT_EQ(uuid_text(b), "00010203-0405-0607-0809-0a0bccddeeff");
}

// The metadata hash is part of every derived UUID and the whole of the derived hash seed, so
// its input is pinned here byte by byte: a change would change every image.
TEST(ExtIdentity, MetadataHashCoversOptionsAndEachInodeLittleEndian) {
  Entry root;
  root.type = EntryType::kDirectory;
  root.mode = 0755;
  Entry file;
  file.path = "x";
  file.mode = 0600;
  file.uid = 0x01020304;
  file.content.size = 5;
  file.xattrs["user.k"] = "v";
  std::vector<Node> nodes(13);
  nodes[2].e = &root;
  nodes[2].links = 2;
  nodes[2].parent = 2;
  nodes[2].dirents = {{"x", 12, EntryType::kRegular}};
  nodes[12].e = &file;
  nodes[12].links = 1;
  ExtOptions o;
  o.kind = ExtKind::kExt4;
  o.timestamp = 1000;
  o.label = "L";

  std::string in = "integral-mkfs-v1";
  auto num = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) in.push_back(static_cast<char>(v >> (8 * i)));
  };
  auto str = [&](const std::string& s) {
    num(s.size());
    in += s;
  };
  num(2);     // ExtKind::kExt4
  num(1000);  // timestamp
  num(0);     // size: computed
  str("L");
  // inode 2: number, type (kDirectory = 1), mode, uid, gid, major, minor, links, size,
  // target, xattrs (name, value), dirents (name, inode)
  for (uint64_t v : {2, 1, 0755, 0, 0, 0, 0, 2, 0}) num(v);
  str("");
  str("x");
  num(12);
  // inode 12 (kRegular = 0)
  for (uint64_t v : {12, 0, 0600, 0x01020304, 0, 0, 0, 1, 5}) num(v);
  str("");
  str("user.k");
  str("v");

  uint8_t want[32];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(in.data(), in.size(), want, &len, EVP_sha256(), nullptr), 1);
  Digest got = metadata_hash(o, nodes);
  ASSERT_EQ(got.size(), 32u);
  EXPECT_TRUE(std::equal(want, want + 32, got.bytes().begin()));
}

}  // namespace
}  // namespace integral::image
