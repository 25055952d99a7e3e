#include "integral/image/verity.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

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
  int data = ::memfd_create("data", 0), a = ::memfd_create("a", 0), b = ::memfd_create("b", 0);
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
  ::close(data);
  ::close(a);
  ::close(b);
}

TEST(VerityStream, RefusesASizeNotAMultipleOfTheDataBlock) {
  VerityParams p;
  EXPECT_ANY_THROW(VerityStream(4096 + 512, -1, 0, p, "x"));
}

}  // namespace
}  // namespace integral::image
