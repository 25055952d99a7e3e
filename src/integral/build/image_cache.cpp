#include "integral/build/image_cache.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>
#include <vector>

#include "integral/util/atomic_file.h"
#include "integral/util/file_io.h"
#include "integral/util/json_io.h"
#include "integral/util/temp_dir.h"

namespace integral::build {

namespace fs = std::filesystem;

ImageCache::ImageCache(fs::path dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

std::optional<nlohmann::ordered_json> ImageCache::fetch(
    const std::string& key, const std::map<std::string, fs::path>& dest) {
  if (!enabled()) return std::nullopt;
  const fs::path entry = dir_ / "images" / key;
  std::error_code ec;
  if (!fs::is_directory(entry, ec)) return std::nullopt;
  try {
    auto record = nlohmann::ordered_json::parse(read_text_file(entry / "record.json", 1u << 20));
    for (const auto& [name, to] : dest)
      fs::copy_file(entry / name, to, fs::copy_options::overwrite_existing);
    // Recently used: pruning goes by this time.
    fs::last_write_time(entry, fs::file_time_type::clock::now(), ec);
    return record;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged entry is a miss; the build writes the image anew
  }
}

void ImageCache::store(const std::string& key, const std::map<std::string, fs::path>& files,
                       const nlohmann::ordered_json& record) {
  if (!enabled()) return;
  try {
    fs::create_directories(dir_ / "images");
    TempDir tmp(dir_ / "images", "." + key + ".");
    for (const auto& [name, from] : files) fs::copy_file(from, tmp.path() / name);
    AtomicFile rec(tmp.path() / "record.json");
    rec.write(dump_json(record, 2) + "\n");
    rec.commit();
    std::error_code ec;
    fs::rename(tmp.path(), dir_ / "images" / key, ec);  // another build may have stored it
    if (!ec) tmp.release();
  } catch (const std::exception&) {
    // Best effort, as documented: the build's outputs do not depend on the cache.
  }
}

void ImageCache::prune(const std::set<std::string>& keep) {
  if (!enabled()) return;
  struct Entry {
    fs::path path;
    fs::file_time_type used;
    uint64_t bytes = 0;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(dir_ / "images", ec)) {
    if (!d.is_directory(ec) || d.path().filename().string().starts_with(".")) continue;
    Entry e{d.path(), fs::last_write_time(d.path(), ec), 0};
    for (const auto& f : fs::directory_iterator(d.path(), ec))
      e.bytes += f.is_regular_file(ec) ? f.file_size(ec) : 0;
    total += e.bytes;
    if (!keep.contains(d.path().filename().string())) entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const auto& e : entries) {
    if (total <= max_bytes_) break;
    fs::remove_all(e.path, ec);
    if (!ec) total -= e.bytes;
  }
}

fs::path default_cache_dir() {
  if (const char* d = std::getenv("INTEGRAL_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "integral";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "integral";
  return {};
}

}  // namespace integral::build
