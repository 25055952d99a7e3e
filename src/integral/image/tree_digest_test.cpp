#include "integral/image/tree_digest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "integral/util/temp_dir.h"

namespace integral::image {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}

// A small tree: a directory, two files, a symlink.
fs::path make_tree(const fs::path& root) {
  fs::create_directories(root / "etc");
  write(root / "etc" / "hostname", "netvm\n");
  write(root / "init", "#!/bin/sh\n");
  fs::permissions(root / "init", fs::perms(0755));
  fs::create_symlink("init", root / "linuxrc");
  return root;
}

TEST(TreeDigest, SameContentSameDigestWhateverTheHostTimes) {
  TempDir a("integral-tree-digest-"), b("integral-tree-digest-");
  make_tree(a.path());
  make_tree(b.path());
  fs::last_write_time(b.path() / "init", fs::file_time_type::clock::now() - std::chrono::hours(9));
  EXPECT_EQ(tree_digest(load_directory(a.path())), tree_digest(load_directory(b.path())));
}

TEST(TreeDigest, EveryPropertyTheImageCarriesChangesIt) {
  TempDir d("integral-tree-digest-");
  make_tree(d.path());
  const Digest base = tree_digest(load_directory(d.path()));

  Tree t = load_directory(d.path());
  t.find("init")->mode = 0700;
  EXPECT_NE(tree_digest(t), base) << "mode";
  t = load_directory(d.path());
  t.find("init")->uid = 1000;
  EXPECT_NE(tree_digest(t), base) << "owner";
  t = load_directory(d.path());
  t.find("etc/hostname")->xattrs["security.selinux"] = "system_u:object_r:etc_t:s0";
  EXPECT_NE(tree_digest(t), base) << "label";
  t = load_directory(d.path());
  t.find("linuxrc")->target = "bin/busybox";
  EXPECT_NE(tree_digest(t), base) << "symlink target";

  write(d.path() / "etc" / "hostname", "netvn\n");  // same size, one byte differs
  EXPECT_NE(tree_digest(load_directory(d.path())), base) << "content";
}

TEST(TreeDigest, FieldsCannotRunIntoEachOther) {
  // "ab" + "" and "a" + "b" as (name, value) of an xattr would hash alike without lengths.
  TempDir d("integral-tree-digest-");
  make_tree(d.path());
  Tree x = load_directory(d.path());
  Tree y = load_directory(d.path());
  x.find("init")->xattrs["user.ab"] = "";
  y.find("init")->xattrs["user.a"] = "b";
  EXPECT_NE(tree_digest(x), tree_digest(y));
}

}  // namespace
}  // namespace integral::image
