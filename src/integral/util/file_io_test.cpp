#include "integral/util/file_io.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "integral/util/error.h"

namespace integral {
namespace {

namespace fs = std::filesystem;

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("integral-fileio-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FileIo, AtomicWriteReplacesAndLeavesNoTemporary) {
  fs::path p = dir_ / "out.txt";
  write_file_atomic(p, "first");
  write_file_atomic(p, "second");
  EXPECT_EQ(read_text_file(p), "second");
  int entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FileIo, FailedWriteLeavesNothing) {
  fs::path p = dir_ / "missing-dir" / "out.txt";
  EXPECT_THROW(write_file_atomic(p, "x"), Error);
  EXPECT_FALSE(fs::exists(p));
}

TEST_F(FileIo, ReadRefusesOversizedAndMissing) {
  fs::path p = dir_ / "big";
  write_file_atomic(p, std::string(100, 'a'));
  try {
    read_text_file(p, 10);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("big"), std::string::npos);
  }
  try {
    read_text_file(dir_ / "nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
  }
}

}  // namespace
}  // namespace integral
