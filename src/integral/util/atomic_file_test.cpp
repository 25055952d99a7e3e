#include "integral/util/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("integral-atomic-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

TEST_F(AtomicFileTest, InvisibleUntilCommitThenComplete) {
  fs::path p = dir_ / "out.img";
  {
    AtomicFile f(p);
    f.write("hello ");
    f.write("world");
    EXPECT_FALSE(fs::exists(p));
    EXPECT_TRUE(fs::exists(f.temp_path()));
    EXPECT_EQ(fs::path(f.temp_path()).parent_path(), dir_);  // same directory: rename is atomic
    f.commit();
    EXPECT_TRUE(f.committed());
  }
  EXPECT_EQ(read_text_file(p), "hello world");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.img"});
  // The umask's mode, not mkstemp's 0600.
  mode_t mask = ::umask(0);
  ::umask(mask);
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST_F(AtomicFileTest, WithoutCommitTheTemporaryGoesAndTheOldFileStays) {
  fs::path p = dir_ / "out.img";
  write_file_atomic(p, "old");
  {
    AtomicFile f(p);
    f.write("new");
    f.finish();  // durable, still not visible
  }
  EXPECT_EQ(read_text_file(p), "old");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.img"});
}

TEST_F(AtomicFileTest, RefusesADirectoryOrAMissingDirectory) {
  fs::create_directories(dir_ / "sub");
  EXPECT_THROW(AtomicFile(dir_ / "sub"), Error);
  EXPECT_THROW(AtomicFile(dir_ / "missing" / "out"), Error);
  EXPECT_EQ(entries(), std::vector<std::string>{"sub"});
}

TEST_F(AtomicFileTest, SetCommitsEveryFileTogether) {
  {
    OutputSet set;
    set.add(dir_ / "a").write("A");
    set.add(dir_ / "b").write("B");
    EXPECT_FALSE(fs::exists(dir_ / "a"));
    EXPECT_FALSE(fs::exists(dir_ / "b"));
    set.commit();
  }
  EXPECT_EQ(read_text_file(dir_ / "a"), "A");
  EXPECT_EQ(read_text_file(dir_ / "b"), "B");
  EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(AtomicFileTest, SetLeavesNoneWhenOneCannotBePlaced) {
  write_file_atomic(dir_ / "a", "old a");
  {
    OutputSet set;
    set.add(dir_ / "a").write("new a");
    set.add(dir_ / "b").write("new b");
    fs::create_directories(dir_ / "b");  // the last destination turns into a directory
    EXPECT_THROW(set.commit(), Error);
  }
  EXPECT_EQ(read_text_file(dir_ / "a"), "old a");  // not replaced
  EXPECT_TRUE(fs::is_directory(dir_ / "b"));
  EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b"}));  // no temporaries
}

TEST_F(AtomicFileTest, SetWithoutCommitLeavesNothing) {
  {
    OutputSet set;
    set.add(dir_ / "a").write("A");
    set.add(dir_ / "b");
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFileTest, SetRefusesTheSameDestinationTwice) {
  OutputSet set;
  set.add(dir_ / "a");
  EXPECT_THROW(set.add(dir_ / "." / "a"), Error);
}

// A rename that fails after an earlier one succeeded (here: the second temporary is gone)
// puts the file it replaced back: the set is all new or all old, never a mix or a gap.
TEST_F(AtomicFileTest, RenameFailingHalfWayRestoresTheReplacedFiles) {
  write_file_atomic(dir_ / "a", "old a");
  write_file_atomic(dir_ / "b", "old b");
  {
    OutputSet set;
    AtomicFile& a = set.add(dir_ / "a");
    AtomicFile& b = set.add(dir_ / "b");
    a.write("new a");
    b.write("new b");
    ASSERT_EQ(::unlink(b.temp_path().c_str()), 0);
    EXPECT_THROW(set.commit(), Error);
  }
  EXPECT_EQ(read_text_file(dir_ / "a"), "old a");
  EXPECT_EQ(read_text_file(dir_ / "b"), "old b");
  EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace integral
