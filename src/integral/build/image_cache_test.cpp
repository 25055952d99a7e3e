#include "integral/build/image_cache.h"

#include <gtest/gtest.h>

#include <fstream>

#include "integral/util/temp_dir.h"

namespace integral::build {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write(const fs::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}

TEST(ImageCache, StoresAndFetchesCopiesWithTheRecord) {
  TempDir d("integral-cache-test-");
  ImageCache cache(d.path() / "cache", 1u << 20);
  write(d.path() / "img", "image bytes");
  EXPECT_FALSE(cache.fetch("k1", {{"image", d.path() / "out"}}));
  cache.store("k1", {{"image", d.path() / "img"}}, {{"sha256", "abc"}});
  write(d.path() / "img", "changed after the store");  // the cache holds a copy
  auto r = cache.fetch("k1", {{"image", d.path() / "out"}});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["sha256"], "abc");
  EXPECT_EQ(slurp(d.path() / "out"), "image bytes");
}

TEST(ImageCache, ADamagedEntryIsAMiss) {
  TempDir d("integral-cache-test-");
  ImageCache cache(d.path() / "cache", 1u << 20);
  write(d.path() / "img", "x");
  cache.store("k", {{"image", d.path() / "img"}}, {{"a", 1}});
  write(d.path() / "cache" / "images" / "k" / "record.json", "{not json");
  EXPECT_FALSE(cache.fetch("k", {{"image", d.path() / "out"}}));
  cache.store("k2", {{"image", d.path() / "img"}}, {{"a", 1}});
  fs::remove(d.path() / "cache" / "images" / "k2" / "image");
  EXPECT_FALSE(cache.fetch("k2", {{"image", d.path() / "out"}}));
}

TEST(ImageCache, PruneDropsTheLeastRecentlyUsedButNeverWhatTheBuildUsed) {
  TempDir d("integral-cache-test-");
  ImageCache cache(d.path() / "cache", 2500);  // room for two 1000-byte entries and records
  write(d.path() / "img", std::string(1000, 'x'));
  for (const char* k : {"old", "mid", "new"}) {
    cache.store(k, {{"image", d.path() / "img"}}, {{"k", k}});
    fs::last_write_time(
        d.path() / "cache" / "images" / k,
        fs::file_time_type::clock::now() - std::chrono::hours(std::string(k) == "old" ? 3
                                                              : k[0] == 'm'           ? 2
                                                                                      : 1));
  }
  cache.prune({"old"});  // the build used "old": it stays although it is the oldest
  EXPECT_TRUE(fs::exists(d.path() / "cache" / "images" / "old"));
  EXPECT_FALSE(fs::exists(d.path() / "cache" / "images" / "mid"));
  EXPECT_TRUE(fs::exists(d.path() / "cache" / "images" / "new"));
}

TEST(ImageCache, DisabledNeverStoresOrHits) {
  TempDir d("integral-cache-test-");
  ImageCache cache({}, 1u << 20);
  write(d.path() / "img", "x");
  cache.store("k", {{"image", d.path() / "img"}}, {{"a", 1}});
  EXPECT_FALSE(cache.fetch("k", {{"image", d.path() / "out"}}));
  EXPECT_FALSE(cache.enabled());
}

}  // namespace
}  // namespace integral::build
