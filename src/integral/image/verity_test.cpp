#include "integral/image/verity.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "integral/util/error.h"
#include "integral/util/fd.h"

namespace integral::image {
namespace {

std::vector<uint8_t> read_all(int fd) {
  std::vector<uint8_t> out(static_cast<size_t>(::lseek(fd, 0, SEEK_END)));
  EXPECT_EQ(::pread(fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
  return out;
}

// The stream the image writer feeds (odd-sized pieces, runs of zeros given as counts) builds
// the same tree as reading the finished image; veritysetup is the reference in mkfs_test.sh.
TEST(VerityStream, PiecesAndZeroRunsGiveTheTreeOfTheWholeImage) {
  std::vector<uint8_t> img(3u << 20, 0);
  for (size_t i = 0; i < (1u << 20); ++i) img[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  for (size_t i = (2u << 20) + 5; i < (2u << 20) + 9000; ++i) img[i] = 0x5a;
  VerityParams p;
  p.salt = {1, 2, 3, 4};
  p.hash_block_size = 1024;
  const Fd data_owner(::memfd_create("data", 0)), a_owner(::memfd_create("a", 0)),
      b_owner(::memfd_create("b", 0));
  const int data = data_owner.get(), a = a_owner.get(), b = b_owner.get();
  ASSERT_EQ(::pwrite(data, img.data(), img.size(), 0), static_cast<ssize_t>(img.size()));
  VerityResult whole = verity_format(data, img.size(), a, 0, p, "whole");

  VerityStream s(img.size(), b, 0, p, "stream");
  size_t at = 0, step = 1;
  while (at < (1u << 20)) {  // random-looking bytes in growing odd pieces
    size_t n = std::min(step, (1u << 20) - at);
    s.update(std::span(img.data() + at, n));
    at += n;
    step = step * 3 + 1;
  }
  s.zeros((2u << 20) + 5 - at);  // a zero run that ends inside a block
  s.update(std::span(img.data() + (2u << 20) + 5, 8995));
  s.zeros(img.size() - ((2u << 20) + 9000));
  VerityResult streamed = s.finish();
  EXPECT_EQ(streamed.root.hex(), whole.root.hex());
  EXPECT_EQ(read_all(a), read_all(b));
}

TEST(VerityStream, RefusesASizeNotAMultipleOfTheDataBlock) {
  VerityParams p;
  EXPECT_ANY_THROW(VerityStream(4096 + 512, -1, 0, p, "x"));
}

class VerityFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("integral-verity-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    img_.resize(64 * 4096);
    for (size_t i = 0; i < img_.size(); ++i) img_[i] = static_cast<uint8_t>((i * 40503u) >> 7);
    write_bytes(img(), img_);
    p_.salt = {9, 8, 7};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string img() const { return (dir_ / "img").string(); }
  static void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  static std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  // The refusal is bad input naming the image and the offset, and the image is untouched.
  void expect_refused(uint64_t off) {
    try {
      verity_file(img(), "", off, p_);
      ADD_FAILURE() << "offset " << off << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
      EXPECT_EQ(e.file(), img());
      EXPECT_EQ(e.offset(), off);
    }
    EXPECT_EQ(read_bytes(img()), img_);
  }
  std::filesystem::path dir_;
  std::vector<uint8_t> img_;
  VerityParams p_;
};

// Appended after a gap, the tree is the one a separate hash file gets, and the data stays.
TEST_F(VerityFile, AppendsAtAnOffsetPastTheData) {
  auto sep = verity_file(img(), (dir_ / "hash").string(), std::nullopt, p_);
  const uint64_t off = img_.size() + 2 * 4096;
  auto app = verity_file(img(), "", off, p_);
  EXPECT_EQ(app.result.root.hex(), sep.result.root.hex());
  auto all = read_bytes(img());
  auto tree = read_bytes((dir_ / "hash").string());
  ASSERT_EQ(all.size(), off + tree.size());
  EXPECT_TRUE(std::equal(img_.begin(), img_.end(), all.begin()));
  EXPECT_TRUE(std::equal(tree.begin(), tree.end(), all.begin() + static_cast<std::ptrdiff_t>(off)));
}

TEST_F(VerityFile, RefusesAnOffsetInsideTheDataOrUnaligned) {
  expect_refused(0);
  expect_refused(img_.size() - 4096);
  expect_refused(img_.size() + 100);
  expect_refused(img_.size() + 512);  // a 512-byte multiple, not a hash block one
}

TEST_F(VerityFile, RefusesWhatIsNotARegularFile) {
  std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, dir_.string()}) {
    for (bool in_place : {true, false}) {
      try {
        verity_file(path, in_place ? "" : (dir_ / "h").string(), std::nullopt, p_);
        ADD_FAILURE() << path << " accepted";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::kBadInput) << e.what();
        EXPECT_NE(e.message().find("not a regular file"), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "h"));
}

}  // namespace
}  // namespace integral::image
