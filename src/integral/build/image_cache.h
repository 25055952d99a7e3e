// integral build's image cache: built images kept by the digest of everything they are made
// of (the tree's content address, the options, the banks, integral's own binary), so a build
// whose inputs did not change copies the image instead of writing it again.
//
// Layout: DIR/images/KEY/ holds the image's files and record.json (what the bundle says of
// it). An entry appears whole or not at all (written in a temporary directory, then renamed).
// Bounded: after a build, the least recently used entries go until the cache is at most
// `max_bytes`; the entries the build just used always stay.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

namespace integral::build {

class ImageCache {
 public:
  // An empty `dir` disables the cache (every lookup misses, nothing is stored).
  ImageCache(std::filesystem::path dir, uint64_t max_bytes);

  bool enabled() const { return !dir_.empty(); }
  // On a hit, copies each of the entry's files into `dest` (name → destination path) and
  // returns its record; nullopt on a miss or a damaged entry.
  std::optional<nlohmann::ordered_json> fetch(
      const std::string& key, const std::map<std::string, std::filesystem::path>& dest);
  // Stores copies of `files` (name → source path) and `record` under `key`. Best effort: a
  // cache that cannot be written never fails the build.
  void store(const std::string& key, const std::map<std::string, std::filesystem::path>& files,
             const nlohmann::ordered_json& record);
  // Removes least recently used entries, never one in `keep`, until the cache fits.
  void prune(const std::set<std::string>& keep);

 private:
  std::filesystem::path dir_;
  uint64_t max_bytes_;
};

// The default cache directory: $INTEGRAL_CACHE_DIR, else $XDG_CACHE_HOME/integral, else
// $HOME/.cache/integral (the XDG base directory convention); empty when none is set.
std::filesystem::path default_cache_dir();

}  // namespace integral::build
