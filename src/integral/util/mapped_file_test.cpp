#include "integral/util/mapped_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "integral/util/error.h"
#include "integral/util/fd.h"

namespace integral {
namespace {

class MappedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "integral-map-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string put(const std::string& name, const std::string& contents) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << contents;
    return p;
  }
  std::string dir_;
};

std::string text(const MappedFile& m) {
  return {reinterpret_cast<const char*>(m.bytes().data()), m.bytes().size()};
}

TEST_F(MappedFileTest, RegularFilesAreMappedAndMovable) {
  const auto p = put("a", "measured bytes");
  MappedFile m(p);
  EXPECT_EQ(text(m), "measured bytes");
  EXPECT_EQ(m.path(), p);
  MappedFile moved(std::move(m));
  EXPECT_EQ(text(moved), "measured bytes");
  EXPECT_TRUE(m.bytes().empty());  // NOLINT(bugprone-use-after-move)
  Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  auto direct = MappedFile::map(fd.get(), p);
  ASSERT_TRUE(direct);
  EXPECT_EQ(text(*direct), "measured bytes");
}

TEST_F(MappedFileTest, EmptyFilesAndPipes) {
  EXPECT_TRUE(MappedFile(put("empty", "")).bytes().empty());
  Fd empty(::open((dir_ + "/empty").c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(MappedFile::map(empty.get(), "empty"));  // nothing to map: the caller streams
  // A FIFO is read to its end.
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << "from a pipe"; });
  MappedFile piped(fifo);
  writer.join();
  EXPECT_EQ(text(piped), "from a pipe");
  // A directory opens, but is no file to parse: refused where a parser needs a regular file.
  try {
    MappedFile refused(dir_, MappedFile::NonRegular::kRefuse);
    ADD_FAILURE() << "a directory was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_EQ(e.file(), dir_);
  }
}

TEST_F(MappedFileTest, MissingFileIsBadInput) {
  try {
    MappedFile m(dir_ + "/missing");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
  }
}

}  // namespace
}  // namespace integral
