#include "integral/util/fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "integral/util/error.h"

namespace integral {
namespace {

// A file in a fresh temporary directory, removed with it.
class FdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "integral-fd-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/f";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, path_;
};

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST_F(FdTest, ClosesOnceOnEveryPath) {
  int raw = -1;
  {
    Fd fd(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd);
    raw = fd.get();
    Fd moved(std::move(fd));
    EXPECT_FALSE(fd.valid());  // NOLINT(bugprone-use-after-move): the moved-from owner is empty
    EXPECT_EQ(moved.get(), raw);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  raw = fd.release();
  EXPECT_TRUE(is_open(raw));  // released: not closed by the owner
  ::close(raw);
  Fd closed(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(closed.close(), 0);
  EXPECT_FALSE(closed.valid());
}

TEST_F(FdTest, WholeBufferTransfersAndShortReads) {
  Fd fd(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  const std::string a = "hello, ", b = "world";
  write_all(fd.get(), a.data(), a.size(), path_);
  pwrite_all(fd.get(), b.data(), b.size(), 7, path_);
  std::string back(12, '\0');
  pread_all(fd.get(), back.data(), back.size(), 0, path_);
  EXPECT_EQ(back, "hello, world");
  // One byte past the end: an environment error naming the file, not a silent short read.
  try {
    pread_all(fd.get(), back.data(), 6, 7, path_);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kEnvironment);
    EXPECT_EQ(e.file(), path_);
    EXPECT_NE(e.message().find("short file"), std::string::npos) << e.message();
  }
  // A descriptor that is not open: the system's reason.
  EXPECT_THROW(pwrite_all(-1, a.data(), a.size(), 0, path_), Error);
}

}  // namespace
}  // namespace integral
