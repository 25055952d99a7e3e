#include "integral/image/manifest.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral::image {
namespace {

Tree small_tree() {
  Tree t;
  Entry etc;
  etc.path = "etc";
  etc.type = EntryType::kDirectory;
  etc.mode = 0755;
  t.add(etc, "test");
  Entry f;
  f.path = "etc/passwd";
  f.mode = 0644;
  t.add(f, "test");
  Entry l;
  l.path = "link";
  l.type = EntryType::kSymlink;
  l.target = "/etc";
  t.add(l, "test");
  return t;
}

TEST(Manifest, ParsesFieldsEscapesAndEncodings) {
  auto lines = parse_manifest(
      "# comment\n"
      "/dev/null c 0666 0 0 major=1 minor=3\n"
      "/a\\040b - - 5 - xattr.user.x=0x00ff "
      "xattr.security.capability=0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=\n"
      "/usr/* - 0755 0 0   # glob\n",
      "m");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].path, "dev/null");
  EXPECT_EQ(lines[0].type, 'c');
  EXPECT_EQ(*lines[0].mode, 0666u);
  EXPECT_EQ(*lines[0].major, 1u);
  EXPECT_EQ(lines[1].path, "a b");
  EXPECT_FALSE(lines[1].mode);
  EXPECT_EQ(*lines[1].uid, 5u);
  EXPECT_EQ(lines[1].xattrs[0].second, std::string("\0\xff", 2));
  // getfattr -e base64 of a v2 capability with cap_net_raw permitted (bit 13): 20 bytes.
  const std::string cap = lines[1].xattrs[1].second;
  ASSERT_EQ(cap.size(), 20u);
  EXPECT_EQ(cap[3], 2);     // VFS_CAP_REVISION_2 (0x02000000 little-endian)
  EXPECT_EQ(cap[5], 0x20);  // 1 << 13 in the permitted word
  EXPECT_TRUE(lines[2].is_glob);
  EXPECT_EQ(lines[1].line, 3u);
}

TEST(Manifest, RefusesBadLines) {
  auto bad = [](const std::string& text) {
    try {
      parse_manifest(text, "m");
      return false;
    } catch (const Error& e) {
      return e.code() == ExitCode::kBadInput && e.file() == "m";
    }
  };
  EXPECT_TRUE(bad("/x f 0644 0\n"));            // too few fields
  EXPECT_TRUE(bad("x f 0644 0 0\n"));           // relative
  EXPECT_TRUE(bad("/../x d 0755 0 0\n"));       // outside the tree
  EXPECT_TRUE(bad("/x q 0644 0 0\n"));          // type
  EXPECT_TRUE(bad("/x f 0999 0 0\n"));          // octal
  EXPECT_TRUE(bad("/x f 010000 0 0\n"));        // above 07777
  EXPECT_TRUE(bad("/x* d - - -\n"));            // glob creating
  EXPECT_TRUE(bad("/x - - - - colour=red\n"));  // unknown key
  EXPECT_TRUE(bad("/x - - - - xattr.nodot=1\n"));
  EXPECT_TRUE(bad("/x - - - - xattr.user.a=0xzz\n"));
  EXPECT_TRUE(bad("/a\\9 - - - -\n"));  // bad escape
}

TEST(Manifest, AppliesCreatesAndRefuses) {
  Tree t = small_tree();
  apply_manifest(t,
                 parse_manifest("/dev d 0755 0 0\n/dev/null c 0666 0 0 major=1 minor=3\n"
                                "/etc/passwd f 0600 0 42 xattr.user.a=1\n/etc* - - 9 -\n",
                                "m"),
                 "m");
  EXPECT_EQ(t.find("dev/null")->type, EntryType::kCharDev);
  EXPECT_EQ(t.find("dev/null")->minor, 3u);
  EXPECT_EQ(t.find("etc/passwd")->mode, 0600u);
  EXPECT_EQ(t.find("etc/passwd")->gid, 42u);
  EXPECT_EQ(t.find("etc/passwd")->uid, 9u);  // glob covers the subtree
  EXPECT_EQ(t.find("etc")->uid, 9u);
  EXPECT_EQ(t.find("etc/passwd")->xattrs.at("user.a"), "1");

  auto refused = [](const std::string& text) {
    Tree tt = small_tree();
    try {
      apply_manifest(tt, parse_manifest(text, "m"), "m");
      return false;
    } catch (const Error& e) {
      return e.code() == ExitCode::kBadInput;
    }
  };
  EXPECT_TRUE(refused("/link/shadow c 0600 0 0 major=1 minor=1\n"));  // through a symlink
  EXPECT_TRUE(refused("/nodir/x p 0600 0 0\n"));                      // missing parent
  EXPECT_TRUE(refused("/etc/passwd d 0755 0 0\n"));                   // type conflict
  EXPECT_TRUE(refused("/missing - 0600 0 0\n"));                      // keep type of nothing
  EXPECT_TRUE(refused("/new f 0600 0 0\n"));                          // a file without content
  EXPECT_TRUE(refused("/dev2 c 0600 0 0\n"));                         // device without numbers
  EXPECT_TRUE(refused("/nothing* - 0600 0 0\n"));                     // glob matching nothing
}

}  // namespace
}  // namespace integral::image
