#include "integral/image/tree.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "integral/util/error.h"

namespace integral::image {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "integral-tree-test.XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

// Writes a pax tar with libarchive's writer; `add` appends entries.
void write_tar(const fs::path& out, const std::function<void(archive*)>& add) {
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  ASSERT_EQ(archive_write_open_filename(a, out.c_str()), ARCHIVE_OK);
  add(a);
  archive_write_close(a);
  archive_write_free(a);
}

void add_entry(archive* a, const std::string& name, mode_t type, const std::string& data = {},
               const char* link = nullptr, const char* hardlink = nullptr) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_uid(e, 7);
  archive_entry_set_gid(e, 8);
  if (link) archive_entry_set_symlink(e, link);
  if (hardlink) archive_entry_set_hardlink(e, hardlink);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  if (name == "x") archive_entry_xattr_add_entry(e, "user.note", "abc", 3);
  archive_write_header(a, e);
  if (!data.empty()) archive_write_data(a, data.data(), data.size());
  archive_entry_free(e);
}

TEST(Tree, NormalizeRefusesEscapes) {
  EXPECT_EQ(Tree::normalize("./a//b/./c/", false, "t", 0), "a/b/c");
  EXPECT_EQ(Tree::normalize("/a/b", true, "t", 0), "a/b");
  EXPECT_THROW(Tree::normalize("/a", false, "t", 0), Error);
  EXPECT_THROW(Tree::normalize("a/../../b", false, "t", 0), Error);
  EXPECT_THROW(Tree::normalize(std::string(300, 'n'), false, "t", 0), Error);
  EXPECT_THROW(Tree::normalize(std::string(5000, 'a'), false, "t", 0), Error);
}

TEST(Tree, TarEntriesMetadataXattrsAndLinks) {
  TempDir d;
  fs::path tar = d.path / "ok.tar";
  write_tar(tar, [](archive* a) {
    add_entry(a, "x", AE_IFREG, "hello");
    add_entry(a, "deep/er/file", AE_IFREG, "z");  // parents implied
    add_entry(a, "deep", AE_IFDIR);               // listed after its contents
    add_entry(a, "ln", AE_IFLNK, {}, "/etc/passwd");
    add_entry(a, "hl", AE_IFREG, {}, nullptr, "x");
  });
  Tree t = load_tar(tar);
  const Entry* x = t.find("x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->uid, 7u);
  EXPECT_EQ(x->gid, 8u);
  EXPECT_EQ(x->content.size, 5u);
  EXPECT_EQ(x->xattrs.at("user.note"), "abc");
  EXPECT_EQ(t.find("deep")->type, EntryType::kDirectory);
  EXPECT_EQ(t.find("deep")->uid, 7u);
  EXPECT_EQ(t.find("deep/er")->mode, 0755u);
  EXPECT_EQ(t.find("ln")->target, "/etc/passwd");
  EXPECT_EQ(t.find("hl")->link_to, "x");
  std::string back(5, '\0');
  ASSERT_EQ(::pread(t.spill_fd(), back.data(), 5, static_cast<off_t>(x->content.spill_offset)), 5);
  EXPECT_EQ(back, "hello");
  EXPECT_EQ(t.root().children, (std::vector<std::string>{"deep", "hl", "ln", "x"}));
}

TEST(Tree, HostileTarsRefused) {
  TempDir d;
  auto refused = [&](const std::string& name, const std::function<void(archive*)>& add,
                     const std::string& message) {
    fs::path tar = d.path / (name + ".tar");
    write_tar(tar, add);
    try {
      load_tar(tar);
      ADD_FAILURE() << name << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput) << name;
      EXPECT_NE(e.message().find(message), std::string::npos) << name << ": " << e.message();
      EXPECT_EQ(e.file(), tar.string());
    }
  };
  refused(
      "dotdot", [](archive* a) { add_entry(a, "a/../../etc/passwd", AE_IFREG, "x"); }, "'..'");
  refused(
      "absolute", [](archive* a) { add_entry(a, "/etc/passwd", AE_IFREG, "x"); }, "absolute");
  refused(
      "through-symlink",
      [](archive* a) {
        add_entry(a, "etc", AE_IFLNK, {}, "/etc");
        add_entry(a, "etc/passwd", AE_IFREG, "x");
      },
      "symlink");
  refused(
      "through-file",
      [](archive* a) {
        add_entry(a, "f", AE_IFREG, "x");
        add_entry(a, "f/g", AE_IFREG, "x");
      },
      "not a directory");
  refused(
      "duplicate",
      [](archive* a) {
        add_entry(a, "f", AE_IFREG, "x");
        add_entry(a, "./f", AE_IFREG, "y");
      },
      "duplicate");
  refused(
      "long-name", [](archive* a) { add_entry(a, std::string(256, 'n'), AE_IFREG, "x"); },
      "longer than");
  refused(
      "long-path", [](archive* a) { add_entry(a, std::string(5000, 'a'), AE_IFREG); },
      "longer than");
  refused(
      "hardlink-missing", [](archive* a) { add_entry(a, "h", AE_IFREG, {}, nullptr, "nope"); },
      "missing");
  refused(
      "hardlink-dir",
      [](archive* a) {
        add_entry(a, "d", AE_IFDIR);
        add_entry(a, "h", AE_IFREG, {}, nullptr, "d");
      },
      "non-file");
}

TEST(Tree, DirectoryInputIsSortedAndOwnedByRoot) {
  TempDir d;
  fs::create_directories(d.path / "t/b");
  std::ofstream(d.path / "t/c") << "c";
  std::ofstream(d.path / "t/a") << "aa";
  fs::create_hard_link(d.path / "t/a", d.path / "t/b/a2");
  fs::create_symlink("a", d.path / "t/s");
  Tree t = load_directory(d.path / "t");
  EXPECT_EQ(t.root().children, (std::vector<std::string>{"a", "b", "c", "s"}));
  EXPECT_EQ(t.find("a")->uid, 0u);
  EXPECT_EQ(t.find("a")->content.size, 2u);
  EXPECT_EQ(t.find("b/a2")->link_to, "a");
  EXPECT_EQ(t.find("s")->target, "a");
}

}  // namespace
}  // namespace integral::image
