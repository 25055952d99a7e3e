#include "integral/image/measure_sink.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "integral/util/fd.h"
#include "integral/util/hex.h"

namespace integral::image {
namespace {

// The digest by OpenSSL's one-shot EVP_Digest, not integral's hashing.
std::string evp_hex(const EVP_MD* md, const std::vector<uint8_t>& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out, &n, md, nullptr), 1);
  return to_hex(std::span<const uint8_t>(out, n));
}

class MeasureSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("integral_measure_sink_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    // 3 MiB: 1 MiB of varied bytes, a zero run ending inside a block, a short run of 0x5a,
    // zeros to the end (as the writer streams an image with holes).
    img_.assign(3u << 20, 0);
    for (size_t i = 0; i < (1u << 20); ++i) img_[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
    for (size_t i = (2u << 20) + 5; i < (2u << 20) + 9000; ++i) img_[i] = 0x5a;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Feeds img_ as the writer would: odd-sized pieces, then zero runs given as counts.
  void feed(MeasureSink& s) {
    s.begin(img_.size());
    size_t at = 0, step = 1;
    while (at < (1u << 20)) {
      size_t n = std::min(step, (1u << 20) - at);
      s.data(std::span(img_.data() + at, n));
      at += n;
      step = step * 3 + 1;
    }
    s.zeros((2u << 20) + 5 - at);
    s.data(std::span(img_.data() + (2u << 20) + 5, 8995));
    s.zeros(img_.size() - ((2u << 20) + 9000));
  }

  std::filesystem::path dir_;
  std::vector<uint8_t> img_;
};

TEST_F(MeasureSinkTest, DigestsEqualOpenSslsOverTheSameBytes) {
  MeasureSink s({HashAlg::kSha1, HashAlg::kSha256}, "img", nullptr, {});
  feed(s);
  auto ds = s.digests();
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].alg(), HashAlg::kSha1);
  EXPECT_EQ(ds[0].hex(), evp_hex(EVP_sha1(), img_));
  EXPECT_EQ(ds[1].alg(), HashAlg::kSha256);
  EXPECT_EQ(ds[1].hex(), evp_hex(EVP_sha256(), img_));
  EXPECT_EQ(s.size(), img_.size());
  EXPECT_FALSE(s.verity());  // no hash file, no tree
}

// The tree built from the stream equals verity_format's over the finished image (whose own
// reference is veritysetup, in verity_test.cpp and mkfs_test.sh), file bytes included.
TEST_F(MeasureSinkTest, VerityTreeEqualsTheBuilderOverTheWholeImage) {
  VerityParams p;
  p.salt = {9, 8, 7, 6};
  p.uuid[0] = 1;
  const Fd data_owner(::memfd_create("data", 0)), whole_owner(::memfd_create("whole", 0));
  const int data = data_owner.get(), whole_fd = whole_owner.get();
  ASSERT_EQ(::pwrite(data, img_.data(), img_.size(), 0), static_cast<ssize_t>(img_.size()));
  VerityResult whole = verity_format(data, img_.size(), whole_fd, 0, p, "whole");

  AtomicFile hash(dir_ / "img.hash");
  MeasureSink s({}, "img", &hash, p);
  feed(s);
  auto vr = s.verity();
  ASSERT_TRUE(vr);
  EXPECT_EQ(vr->result.root.hex(), whole.root.hex());
  EXPECT_EQ(vr->result.data_blocks, img_.size() / 4096);
  EXPECT_TRUE(s.digests().empty());
  hash.commit();
  std::vector<uint8_t> a(static_cast<size_t>(::lseek(whole_fd, 0, SEEK_END)));
  ASSERT_EQ(::pread(whole_fd, a.data(), a.size(), 0), static_cast<ssize_t>(a.size()));
  std::vector<uint8_t> b(std::filesystem::file_size(dir_ / "img.hash"));
  struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<FILE, FileCloser> f(std::fopen((dir_ / "img.hash").c_str(), "rb"));
  ASSERT_TRUE(f);
  ASSERT_EQ(std::fread(b.data(), 1, b.size(), f.get()), b.size());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace integral::image
